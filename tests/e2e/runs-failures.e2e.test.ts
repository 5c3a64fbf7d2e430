import { testing } from '@cadre/llm';
import { eventually } from '@cadre/testing';
import { malformedFlow, malformedYaml, workerFlow } from '../fixtures/pipelines';
import { setupAdmin } from '../support/auth';
import { call } from '../support/http';
import {
  createPipeline, createRun, followRun, getRun, getStep, lifecycle, parseEvents, providerEnv, waitForEvent, waitForRunStatus,
} from '../support/runs';
import { startSystem, type System } from '../support/system';

const { openAiError, openAiStream } = testing;

const completeWith = (result: string) => openAiStream({
  toolCalls: [{ id: `call-${result}`, name: 'complete', args: JSON.stringify({ result }) }], usage: { prompt_tokens: 10, completion_tokens: 2 },
});
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PROVIDER_KEY = 'sk-proj-e2eSecretKey0123456789abcdef';

describe('provider failures, bad pipelines and cancellation through the HTTP API', () => {
  let server: testing.ScriptedServer;
  let system: System;
  let token: string;
  const logs: string[] = [];
  beforeAll(async () => {
    server = await testing.startScriptedServer();
    system = await startSystem({ transport: 'embedded', env: providerEnv(server, PROVIDER_KEY), orchestration: {}, logSink: (line) => void logs.push(line) });
    token = (await setupAdmin(system.baseUrl)).access_token;
    await createPipeline(system.baseUrl, token, workerFlow('e2e-two', 2));
    await createPipeline(system.baseUrl, token, workerFlow('e2e-three', 3));
  });
  afterAll(async () => {
    await system?.stop();
    await server?.close();
  });

  it('retries a 429 after its Retry-After, and the step completes', async () => {
    const times: number[] = [];
    const before = server.requests.length;
    server.enqueue(openAiError(429, 'Rate limit reached', { 'retry-after': '1' }), completeWith('one'), completeWith('two'));
    server.respondWith(() => openAiError(500, 'nothing more scripted'));
    const run = await createRun(system.baseUrl, token, { pipeline_id: 'e2e-two', task_description: 'rate limited' });
    await server.waitForRequests(before + 1);
    times.push(Date.now());
    await server.waitForRequests(before + 2);
    times.push(Date.now());
    const done = await waitForRunStatus(system.baseUrl, token, run.id, 'completed');
    expect(done.outputs).toEqual({ first: { result: 'one' }, second: { result: 'two' } });
    expect(server.requests.length - before).toBe(3);
    // The retry is the same request again, sent after the Retry-After second (timers are coarse).
    expect(server.requests[before + 1]?.body).toEqual(server.requests[before]?.body);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(900);
    const stream = await followRun(system.baseUrl, token, run.id);
    const events = await waitForEvent(stream, 'run_complete');
    stream.close();
    expect(lifecycle(events)).not.toContain('step_failed:first#1');
  });

  it('fails the step with a clear message and the run with run_failed on a 401, then restarts at the failed step', async () => {
    const before = server.requests.length;
    server.enqueue(completeWith('kept'), openAiError(401, 'Incorrect API key provided'));
    const run = await createRun(system.baseUrl, token, { pipeline_id: 'e2e-two', task_description: 'bad key' });
    const failed = await waitForRunStatus(system.baseUrl, token, run.id, 'failed');
    expect(failed.error).toMatch(/openai rejected the API key \(401\): Incorrect API key provided/);
    const step = await getStep(system.baseUrl, token, run.id, 'second');
    expect(step).toMatchObject({ status: 'failed', attempt: 1 });
    expect(step.error).toMatch(/openai rejected the API key \(401\): Incorrect API key provided/);
    // Not retryable: one request, no step_retrying, straight to run_failed.
    expect(server.requests.length - before).toBe(2);
    const stream = await followRun(system.baseUrl, token, run.id);
    const events = await waitForEvent(stream, 'run_failed');
    expect(lifecycle(events)).toEqual([
      'run_created', 'step_queued:first#1', 'step_started:first#1', 'step_complete:first#1',
      'step_queued:second#1', 'step_started:second#1', 'step_failed:second#1', 'run_failed',
    ]);
    expect(events.find((e) => e.type === 'run_failed')?.data).toMatchObject({ step_id: 'second', error: expect.stringContaining('401') });

    // Restart: the first step's output is kept, the failed step runs again and the run completes.
    server.enqueue(completeWith('fixed'));
    const restarted = await call(system.baseUrl, 'POST', `/v1/runs/${run.id}/restart`, { token, body: {} });
    expect(restarted.status).toBe(200);
    const done = await waitForRunStatus(system.baseUrl, token, run.id, 'completed');
    expect(done.outputs).toEqual({ first: { result: 'kept' }, second: { result: 'fixed' } });
    const after = (await waitForEvent(stream, 'run_complete')).slice(events.length);
    stream.close();
    expect(lifecycle(after).filter((t) => t.startsWith('step_queued'))).toEqual(['step_queued:second#2']);
    expect(server.requests.length - before).toBe(3);
  });

  it('leaves no trace of a provider key that the provider echoes in its error: not in the run, step, events, history nor logs', async () => {
    const masked = `${PROVIDER_KEY.slice(0, 8)}****${PROVIDER_KEY.slice(-4)}`;
    server.enqueue(openAiError(401, `Incorrect API key provided: Bearer ${PROVIDER_KEY} (shown as ${masked}); key=${PROVIDER_KEY}`));
    const run = await createRun(system.baseUrl, token, { pipeline_id: 'e2e-two', task_description: 'echoed key' });
    const failed = await waitForRunStatus(system.baseUrl, token, run.id, 'failed');
    expect(failed.error).toMatch(/openai rejected the API key \(401\): Incorrect API key provided/);
    const stream = await followRun(system.baseUrl, token, run.id);
    const events = await waitForEvent(stream, 'run_failed');
    stream.close();
    const history = await call(system.baseUrl, 'GET', '/v1/internal/run-history?limit=500', { token });
    expect(history.status).toBe(200);
    const seen = [
      JSON.stringify(failed), JSON.stringify(await getStep(system.baseUrl, token, run.id, 'first')), JSON.stringify(events),
      JSON.stringify(history.body), JSON.stringify((await call(system.baseUrl, 'GET', `/v1/llm-calls?run_id=${run.id}`, { token })).body), ...logs,
    ].join('\n');
    expect(seen).toContain('[redacted]');
    for (const piece of [PROVIDER_KEY, PROVIDER_KEY.slice(0, 12), PROVIDER_KEY.slice(-8), masked]) expect(seen).not.toContain(piece);
  });

  it('rejects a malformed pipeline with 400, naming the step and the field (and the line of YAML)', async () => {
    const json = await call<{ error: string; code: string; details: Array<Record<string, unknown>> }>(system.baseUrl, 'POST', '/v1/pipelines', { token, body: malformedFlow });
    expect(json.status).toBe(400);
    // The "file" of a definition sent through the API is `api`.
    expect(json.body).toMatchObject({ code: 'validation_failed' });
    expect(json.body.error).toMatch(/api: step 'second', field onComplete: unknown step 'nowhere'/);
    expect(json.body.details).toEqual([expect.objectContaining({ file: 'api', step: 'second', field: 'onComplete', path: 'steps.1.onComplete' })]);

    const yaml = await call<{ error: string; details: Array<Record<string, unknown>> }>(system.baseUrl, 'POST', '/v1/pipelines', { token, body: { yaml: malformedYaml } });
    expect(yaml.status).toBe(400);
    expect(yaml.body.error).toMatch(/api:10: step 'only', field input: .*task/);
    expect(yaml.body.details).toEqual([expect.objectContaining({ file: 'api', line: 10, step: 'only', field: 'input' })]);
    // The same YAML posted as a file (`curl --data-binary @flow.yml -H 'content-type: application/yaml'`).
    const file = await call<{ error: string }>(system.baseUrl, 'POST', '/v1/pipelines', { token, body: malformedYaml, headers: { 'content-type': 'application/yaml' } });
    expect(file.status).toBe(400);
    expect(file.body.error).toBe(yaml.body.error);
    // Nothing was stored.
    expect((await call(system.baseUrl, 'GET', '/v1/pipelines/e2e-malformed', { token })).status).toBe(404);
  });

  it('takes a pipeline posted and replaced as a YAML file, and refuses a content type it does not read', async () => {
    const flow = ['id: e2e-yaml-file', 'name: From a file', 'defaults:', '  model: dry-run/echo', 'agents:', '  - id: dev', '    name: Dev', '    persona: You build.',
      'steps:', '  - id: only', '    agent: dev', '    input: "Do {{task_description}}"', '    outputs: [result]', ''].join('\n');
    const created = await call<{ id: string; name: string }>(system.baseUrl, 'POST', '/v1/pipelines', { token, body: flow, headers: { 'content-type': 'application/yaml' } });
    expect({ status: created.status, body: created.body }).toMatchObject({ status: 201, body: { id: 'e2e-yaml-file', name: 'From a file' } });
    const replaced = await call<{ name: string }>(system.baseUrl, 'PUT', '/v1/pipelines/e2e-yaml-file', {
      token, body: flow.replace('From a file', 'Replaced from a file'), headers: { 'content-type': 'text/yaml; charset=utf-8' },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.name).toBe('Replaced from a file');
    const refused = await call<{ error: string }>(system.baseUrl, 'POST', '/v1/pipelines', { token, body: flow, headers: { 'content-type': 'text/plain' } });
    expect(refused.status).toBe(415);
    expect(refused.body.error).toContain('application/yaml');
    // A route that takes no YAML still refuses it.
    const run = await call(system.baseUrl, 'POST', '/v1/runs', { token, body: 'pipeline_id: demo', headers: { 'content-type': 'application/yaml' } });
    expect(run.status).toBe(415);
  });

  it('cancels during a streamed answer: the connection is closed, run_cancelled arrives, no later step starts; restart resumes', async () => {
    const before = server.requests.length;
    server.enqueue(
      completeWith('done first'),
      openAiStream({ text: 'I am writing a very long answer that goes on and on and on', frameDelayMs: 50, then: 'hang' }),
    );
    const run = await createRun(system.baseUrl, token, { pipeline_id: 'e2e-three', task_description: 'slow' });
    const stream = await followRun(system.baseUrl, token, run.id);
    await server.waitForRequests(before + 2);
    await eventually(() => expect(lifecycle(parseEvents(stream))).toContain('step_started:second#1'), 20_000);
    await wait(200); // some of the answer has streamed

    const cancelled = await call<{ status: string }>(system.baseUrl, 'POST', `/v1/runs/${run.id}/cancel`, { token, body: { reason: 'changed my mind' } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    await server.waitForClientClose(before + 1);
    await waitForEvent(stream, 'run_cancelled');
    await wait(1000);
    expect(lifecycle(parseEvents(stream)).filter((t) => t.startsWith('step_queued') || t.startsWith('step_started'))).toEqual([
      'step_queued:first#1', 'step_started:first#1', 'step_queued:second#1', 'step_started:second#1',
    ]);
    expect((await getRun(system.baseUrl, token, run.id)).status).toBe('cancelled');
    expect(server.requests.length - before).toBe(2);

    server.enqueue(completeWith('done second'), completeWith('done third'));
    const restarted = await call<{ status: string }>(system.baseUrl, 'POST', `/v1/runs/${run.id}/restart`, { token, body: {} });
    expect(restarted.status).toBe(200);
    const done = await waitForRunStatus(system.baseUrl, token, run.id, 'completed');
    expect(done.outputs).toEqual({ first: { result: 'done first' }, second: { result: 'done second' }, third: { result: 'done third' } });
    const events = await waitForEvent(stream, 'run_complete');
    stream.close();
    const resumed = lifecycle(events.slice(events.findIndex((e) => e.type === 'run_restarted')));
    expect(resumed.filter((t) => t.startsWith('step_queued'))).toEqual(['step_queued:second#2', 'step_queued:third#1']);
    // The resumed step was given the kept output of the first.
    const resumedBody = server.requests[before + 2]?.body as { messages: Array<{ role: string; content: string }> };
    expect(resumedBody.messages.find((m) => m.role === 'user')?.content).toBe('Then, after done first');
  });
});
