import { testing } from '@cadre/llm';
import { workerFlow } from '../fixtures/pipelines';
import { setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { spawnService, type ServiceProcess } from '../support/process';
import { createPipeline, createRun, followRun, lifecycle, providerEnv, waitForEvent, waitForRunStatus } from '../support/runs';
import { startSystem, type System } from '../support/system';

const { openAiStream } = testing;

const completeWith = (result: string) => openAiStream({
  toolCalls: [{ id: `call-${result}`, name: 'complete', args: JSON.stringify({ result }) }], usage: { prompt_tokens: 10, completion_tokens: 2 },
});

describe('two replicas each of runs and agents on NATS and Postgres', () => {
  let server: testing.ScriptedServer;
  let system: System;
  let token: string;
  let doomed: ServiceProcess | undefined;
  beforeAll(async () => {
    server = await testing.startScriptedServer();
    // A job without a heartbeat for 2 s goes to another worker (the minimum is 1 s).
    const env = { ...providerEnv(server), AGENTS_JOB_ACK_WAIT_MS: '2000' };
    // The in-process agents service answers queries only, so that the first executor is the process killed below.
    system = await startSystem({ transport: 'nats', env: { ...env, AGENTS_EXECUTOR_ENABLED: 'false' }, orchestration: {} });
    await system.addReplica('runs');
    token = (await setupAdmin(system.baseUrl)).access_token;
    // Steps time out after 60 s, far beyond the test: the interrupted step must come back by
    // redelivery (after the 2 s ack wait), not by the timeout sweeper.
    await createPipeline(system.baseUrl, token, workerFlow('e2e-replicas', 3, 60));
    doomed = await spawnService('agents', { ...env, DATABASE_URL: system.database.url, NATS_URL: system.nats!.url });
  });
  afterAll(async () => {
    await doomed?.kill();
    await system?.stop();
    await server?.close();
  });

  it('completes the run when an agents replica is killed with SIGKILL mid-step, recording the step\'s outputs once', async () => {
    const before = server.requests.length;
    server.enqueue(
      completeWith('one'),
      // The answer the killed replica is reading when it dies.
      openAiStream({ text: 'a long answer that the replica will never finish', frameDelayMs: 20, then: 'hang' }),
      completeWith('two'),
      completeWith('three'),
    );
    const run = await createRun(system.baseUrl, token, { pipeline_id: 'e2e-replicas', task_description: 'survive a crash' });
    const stream = await followRun(system.baseUrl, token, run.id);
    await server.waitForRequests(before + 2, 20_000);
    await waitForEvent(stream, 'step_started');

    // A second executor joins, then the one holding the step dies without a word.
    await system.addReplica('agents', { AGENTS_EXECUTOR_ENABLED: 'true' });
    await doomed!.kill();
    const killedAt = Date.now();
    expect(doomed!.child.signalCode).toBe('SIGKILL');
    await server.waitForClientClose(before + 1);

    const done = await waitForRunStatus(system.baseUrl, token, run.id, 'completed', 60_000);
    console.log(`run completed ${Date.now() - killedAt} ms after the agents replica was killed`);
    expect(done.outputs).toEqual({ first: { result: 'one' }, second: { result: 'two' }, third: { result: 'three' } });
    const events = await waitForEvent(stream, 'run_complete');
    stream.close();
    const types = lifecycle(events);
    // Each step completed once, in order, and the run once.
    expect(types.filter((t) => t.startsWith('step_complete')).map((t) => t.split('#')[0])).toEqual(['step_complete:first', 'step_complete:second', 'step_complete:third']);
    expect(types.filter((t) => t === 'run_complete')).toHaveLength(1);
    expect(types.at(-1)).toBe('run_complete');
    const secondStarts = events.filter((e) => e.type === 'step_started' && e.data.step_id === 'second');
    expect(secondStarts.length).toBeGreaterThanOrEqual(2);
    // Taken over by redelivery within the same attempt: nothing failed or timed out.
    expect(events.filter((e) => e.type === 'step_failed')).toEqual([]);
    expect(new Set(secondStarts.map((e) => e.data.attempt))).toEqual(new Set([1]));
    // The second step's request was sent again by the surviving replica, and its output recorded once.
    expect(server.requests.length - before).toBe(4);
    const output = await call(system.baseUrl, 'GET', `/v1/steps/${run.id}/second/output`, { token });
    expect(output.body).toEqual({ run_id: run.id, step_id: 'second', status: 'completed', outputs: { result: 'two' } });
    const steps = await call<{ steps: Array<{ step_id: string; status: string; attempt: number }> }>(system.baseUrl, 'GET', `/v1/steps/${run.id}`, { token });
    expect(steps.body.steps.map((s) => [s.step_id, s.status])).toEqual([['first', 'completed'], ['second', 'completed'], ['third', 'completed']]);
  });
});
