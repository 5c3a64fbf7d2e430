import { testing } from '@cadre/llm';
import { registry } from '@cadre/cadre';
import { setupAdmin, createMember } from '../support/auth';
import { call } from '../support/http';
import { parseEvents, providerEnv, type StreamedEvent } from '../support/runs';
import {
  followSwarm, getSwarm, launchSwarm, peakRunning, swarmLifecycle, swarmTask, swarmTasks, waitForSwarmEvent, waitForSwarmStatus,
} from '../support/swarms';
import { startSystem, type System } from '../support/system';

const { openAiError, openAiStream } = testing;

const MODEL = 'openai/gpt-test';
const AGENT = 'demo-writer';
const completeWith = (result: string) => openAiStream({
  toolCalls: [{ id: `call-${result}`, name: 'complete', args: JSON.stringify({ result }) }], usage: { prompt_tokens: 10, completion_tokens: 2 },
});
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The first user message of a chat request: the task's prompt. */
const promptOf = (request: testing.RecordedRequest): string =>
  (request.body as { messages?: Array<{ role: string; content: unknown }> }).messages?.find((m) => m.role === 'user')?.content as string ?? '';
/** Which task of which swarm a model request is for (the prompt starts `# Task <key>: <title>`, titles name the test). */
const taskOf = (request: testing.RecordedRequest): string => /^# Task (\S+): /m.exec(promptOf(request))?.[1] ?? '';
const titleOf = (request: testing.RecordedRequest): string => /^# Task \S+: (.*)$/m.exec(promptOf(request))?.[1] ?? '';

describe('swarms through the HTTP API', () => {
  let server: testing.ScriptedServer;
  let system: System;
  let token: string;
  /** Answers by test: each test sets the script of its swarm (keyed by the tasks' title prefix). */
  const scripts = new Map<string, (request: testing.RecordedRequest) => testing.ScriptedResponse | Promise<testing.ScriptedResponse>>();

  beforeAll(async () => {
    server = await testing.startScriptedServer();
    server.respondWith((request) => {
      const title = titleOf(request);
      const script = [...scripts.entries()].find(([prefix]) => title.startsWith(prefix))?.[1];
      return script ? script(request) : openAiError(500, `nothing scripted for "${title}"`);
    });
    system = await startSystem({
      transport: 'embedded', registry,
      env: { ...providerEnv(server), CADRE_LLM_MAX_ATTEMPTS: '1', SWARMS_RETRY_BASE_MS: '400', SWARMS_SWEEP_INTERVAL_MS: '200' },
    });
    token = (await setupAdmin(system.baseUrl)).access_token;
  });
  afterAll(async () => {
    await system?.stop();
    await server?.close();
  });

  const tasksFor = (prefix: string, specs: Array<ReturnType<typeof swarmTask>>) => specs.map((t) => ({ ...t, title: `${prefix} ${t.key}`, model: MODEL }));

  it('runs a diamond: B and C overlap, D gets both outputs, and ?swarm_id= shows every event once, in causal order', async () => {
    // B and C answer only once both asked: they must be running at the same time (else, after 5 s, the test fails below).
    let release!: () => void;
    const both = new Promise<void>((resolve) => { release = resolve; });
    const waiting = new Set<string>();
    let overlapped = false;
    scripts.set('diamond', async (request) => {
      const key = taskOf(request);
      if (key === 'B' || key === 'C') {
        waiting.add(key);
        if (waiting.size === 2) {
          overlapped = true;
          release();
        }
        await Promise.race([both, wait(5_000)]);
      }
      return completeWith(`out-${key}`);
    });
    const launched = await launchSwarm(system.baseUrl, token, {
      agent_id: AGENT, max_concurrent: 4,
      tasks: tasksFor('diamond', [swarmTask('A'), swarmTask('B', ['A']), swarmTask('C', ['A']), swarmTask('D', ['B', 'C'])]),
    });
    expect(launched).toMatchObject({ status: 'running', total_tasks: 4, max_concurrent: 4, root_tasks: ['A'], max_depth: 3 });
    const stream = await followSwarm(system.baseUrl, token, launched.swarm_id);
    const done = await waitForSwarmStatus(system.baseUrl, token, launched.swarm_id, 'completed');
    expect(overlapped).toBe(true);
    expect(done.summary).toMatchObject({ total_tasks: 4, completed: 4, failed: 0, skipped: 0, cancelled: 0 });
    expect(done.progress).toMatchObject({ completed: 4, running: 0, pending: 0 });

    // Fan-in: D's prompt holds what B and C produced.
    const dPrompt = server.requests.filter((r) => titleOf(r) === 'diamond D').map(promptOf);
    expect(dPrompt).toHaveLength(1);
    expect(dPrompt[0]).toContain('out-B');
    expect(dPrompt[0]).toContain('out-C');
    expect(dPrompt[0]).not.toContain('out-A');
    const tasks = await swarmTasks(system.baseUrl, token, launched.swarm_id);
    expect(tasks.D).toMatchObject({ status: 'completed', attempts: 1, outputs: { result: 'out-D' }, error: null });

    const events = await waitForSwarmEvent(stream, 'swarm_completed');
    await wait(300); // anything late or duplicated would show now
    const all = parseEvents(stream);
    stream.close();
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => a - b));
    expect(all.length).toBe(events.length);
    expect(swarmLifecycle(all)).toEqual([
      'swarm_created', 'swarm_task_started:A', 'swarm_task_complete:A', 'swarm_task_started:B', 'swarm_task_started:C',
      ...swarmLifecycle(all).slice(5, 9), 'swarm_completed',
    ]);
    expect(swarmLifecycle(all).slice(5, 9).sort()).toEqual(['swarm_task_complete:B', 'swarm_task_complete:C', 'swarm_task_complete:D', 'swarm_task_started:D']);
    const index = (predicate: (e: StreamedEvent) => boolean) => all.findIndex(predicate);
    const of = (type: string, key: string) => index((e) => e.type === type && e.data.task_key === key);
    expect(of('swarm_task_started', 'D')).toBeGreaterThan(Math.max(of('swarm_task_complete', 'B'), of('swarm_task_complete', 'C')));
    // Each task's run: its events lie between its start and its completion, run_created first and run_complete last.
    for (const key of ['A', 'B', 'C', 'D']) {
      const runId = tasks[key]?.run_id;
      const runEvents = all.filter((e) => e.data.run_id === runId && e.type.startsWith('run_'));
      expect(runEvents.map((e) => e.type)).toEqual(['run_created', 'run_complete']);
      expect(index((e) => e.data.run_id === runId && e.type === 'run_created')).toBeGreaterThan(of('swarm_task_started', key));
      expect(index((e) => e.data.run_id === runId && e.type === 'run_complete')).toBeLessThan(of('swarm_task_complete', key));
      expect(all.some((e) => e.data.run_id === runId && e.type === 'step_complete')).toBe(true);
      // The agents' events of the run's step name the swarm too.
      expect(all.some((e) => e.data.run_id === runId && e.type === 'llm_call')).toBe(true);
    }
    expect(all.every((e) => e.data.swarm_id === launched.swarm_id)).toBe(true);
  });

  it('retries a task after retryable failures with a growing backoff, then completes it on the third attempt', async () => {
    let calls = 0;
    scripts.set('flaky', () => (++calls <= 2 ? openAiError(503, 'overloaded, try again') : completeWith('finally')));
    const launched = await launchSwarm(system.baseUrl, token, { agent_id: AGENT, tasks: tasksFor('flaky', [swarmTask('only', [], { max_retries: 3 })]) });
    const stream = await followSwarm(system.baseUrl, token, launched.swarm_id);
    await waitForSwarmStatus(system.baseUrl, token, launched.swarm_id, 'completed');
    const tasks = await swarmTasks(system.baseUrl, token, launched.swarm_id);
    expect(tasks.only).toMatchObject({ status: 'completed', attempts: 3, outputs: { result: 'finally' } });
    expect(tasks.only?.run_ids).toHaveLength(3);
    const events = await waitForSwarmEvent(stream, 'swarm_completed');
    stream.close();
    expect(swarmLifecycle(events)).toEqual([
      'swarm_created', 'swarm_task_started:only', 'swarm_task_retrying:only', 'swarm_task_started:only',
      'swarm_task_retrying:only', 'swarm_task_started:only', 'swarm_task_complete:only', 'swarm_completed',
    ]);
    const retrying = events.filter((e) => e.type === 'swarm_task_retrying');
    expect(retrying.map((e) => e.data.error)).toEqual([expect.stringContaining('503'), expect.stringContaining('503')]);
    // Exponential with jitter: the first within [200, 400] ms, the second within [400, 800] ms.
    const delays = retrying.map((e) => Number(e.data.delay_ms));
    expect(delays[0]).toBeGreaterThanOrEqual(200);
    expect(delays[0]).toBeLessThanOrEqual(400);
    expect(delays[1]).toBeGreaterThanOrEqual(400);
    expect(delays[1]).toBeLessThanOrEqual(800);
    // Each next attempt started no sooner than its backoff after the failure.
    const starts = events.filter((e) => e.type === 'swarm_task_started').map((e) => Date.parse(e.occurredAt));
    retrying.forEach((e, i) => expect(starts[i + 1]! - Date.parse(e.occurredAt)).toBeGreaterThanOrEqual(Number(e.data.delay_ms)));
  });

  it('fails a task at once on a non-retryable error, skips its dependents and fails the swarm saying so', async () => {
    scripts.set('fatal', (request) => (taskOf(request) === 'root' ? openAiError(401, 'Incorrect API key provided') : completeWith('ok')));
    const launched = await launchSwarm(system.baseUrl, token, {
      agent_id: AGENT,
      tasks: tasksFor('fatal', [swarmTask('root'), swarmTask('side'), swarmTask('child', ['root']), swarmTask('grandchild', ['child', 'side'])]),
    });
    const failed = await waitForSwarmStatus(system.baseUrl, token, launched.swarm_id, 'failed');
    expect(failed.error).toBe("1 task failed ('root'), 2 skipped");
    expect(failed.summary).toMatchObject({ total_tasks: 4, completed: 1, failed: 1, skipped: 2, cancelled: 0 });
    const tasks = await swarmTasks(system.baseUrl, token, launched.swarm_id);
    expect(tasks.root).toMatchObject({ status: 'failed', attempts: 1, error: expect.stringContaining('401') });
    expect(tasks.child).toMatchObject({ status: 'skipped', attempts: 0, skip_reason: "dependency 'root' failed" });
    expect(tasks.grandchild).toMatchObject({ status: 'skipped', skip_reason: "dependency 'child' skipped" });
    expect(server.requests.filter((r) => titleOf(r) === 'fatal root')).toHaveLength(1);
  });

  it('fails a task that runs past its timeout_seconds (its model call is closed) and skips what depends on it', async () => {
    scripts.set('late', () => openAiStream({ text: 'thinking slowly', frameDelayMs: 100, then: 'hang' }));
    const before = server.requests.length;
    const launched = await launchSwarm(system.baseUrl, token, {
      agent_id: AGENT, tasks: tasksFor('late', [swarmTask('slow', [], { timeout_seconds: 1, max_retries: 0 }), swarmTask('after', ['slow'])]),
    });
    const failed = await waitForSwarmStatus(system.baseUrl, token, launched.swarm_id, 'failed', 20_000);
    expect(failed.summary).toMatchObject({ failed: 1, skipped: 1 });
    const tasks = await swarmTasks(system.baseUrl, token, launched.swarm_id);
    expect(tasks.slow).toMatchObject({ status: 'failed', attempts: 1, error: expect.stringMatching(/time/) });
    expect(tasks.slow!.duration_ms).toBeGreaterThanOrEqual(1_000);
    expect(tasks.after).toMatchObject({ status: 'skipped', skip_reason: "dependency 'slow' failed" });
    const slowRequest = server.requests.slice(before).find((r) => taskOf(r) === 'slow');
    await server.waitForClientClose(slowRequest!.index, 10_000);
  });

  it('refuses cycles, duplicates, unknown and self dependencies and oversize swarms with 400s naming the problem, creating nothing', async () => {
    const before = (await call<{ total: number }>(system.baseUrl, 'GET', '/v1/swarms', { token })).body.total;
    const refuse = async (body: Record<string, unknown>, message: RegExp) => {
      const reply = await call<{ error: string; details: unknown }>(system.baseUrl, 'POST', '/v1/swarm/execute', { token, body });
      expect({ status: reply.status, error: reply.body.error }).toEqual({ status: 400, error: expect.stringMatching(message) });
      return reply.body;
    };
    const cycle = await refuse({ agent_id: AGENT, tasks: [swarmTask('a', ['c']), swarmTask('b', ['a']), swarmTask('c', ['b']), swarmTask('d')] }, /dependency cycle: a -> b -> c -> a/);
    expect(cycle.details).toEqual([{ path: 'tasks', message: 'dependency cycle: a -> b -> c -> a' }]);
    await refuse({ agent_id: AGENT, tasks: [swarmTask('a'), swarmTask('a')] }, /duplicate task key 'a'/);
    await refuse({ agent_id: AGENT, tasks: [swarmTask('a', ['ghost'])] }, /task 'a' depends on unknown task 'ghost'/);
    await refuse({ agent_id: AGENT, tasks: [swarmTask('a', ['a'])] }, /task 'a' depends on itself/);
    const oversize = await refuse({ agent_id: AGENT, tasks: Array.from({ length: 501 }, (_, i) => swarmTask(`t${i}`)) }, /.+/);
    expect(JSON.stringify(oversize.details)).toMatch(/tasks.*500/);
    await refuse({ agent_id: AGENT, tasks: [swarmTask('a')], max_concurrent: 65 }, /.+/);
    const model = await refuse({ agent_id: AGENT, tasks: [swarmTask('a', [], { model: 'gpt-4o' })] }, /.+/);
    expect(JSON.stringify(model.details)).toContain('provider/model');
    await refuse({ agent_id: 'no-such-agent', tasks: [swarmTask('a')] }, /no agent 'no-such-agent'/);
    // At the limits it is fine: 500 tasks, 64 at a time (launched, then cancelled).
    const big = await launchSwarm(system.baseUrl, token, { agent_id: AGENT, max_concurrent: 64, tasks: Array.from({ length: 500 }, (_, i) => swarmTask(`t${i}`, i > 0 ? [`t${i - 1}`] : [])) });
    expect(big).toMatchObject({ total_tasks: 500, max_concurrent: 64, root_tasks: ['t0'], max_depth: 500 });
    await call(system.baseUrl, 'POST', `/v1/swarm/${big.swarm_id}/cancel`, { token });
    expect((await call<{ total: number }>(system.baseUrl, 'GET', '/v1/swarms', { token })).body.total).toBe(before + 1);
  });

  it('cancels mid-swarm: the running model calls are closed, nothing more starts, swarm_cancelled arrives; retry finishes it keeping outputs', async () => {
    let cancelled = false;
    scripts.set('cancel', (request) => {
      const key = taskOf(request);
      if (key === 'first') return completeWith('kept');
      if (!cancelled) return openAiStream({ text: 'working on it for a long while', frameDelayMs: 50, then: 'hang' });
      return completeWith(`after-${key}`);
    });
    const before = server.requests.length;
    const launched = await launchSwarm(system.baseUrl, token, {
      agent_id: AGENT, max_concurrent: 2,
      tasks: tasksFor('cancel', [swarmTask('first'), swarmTask('slow1', ['first']), swarmTask('slow2', ['first']), swarmTask('later', ['slow1']), swarmTask('queued', ['first'])]),
    });
    const stream = await followSwarm(system.baseUrl, token, launched.swarm_id);
    await server.waitForRequests(before + 3, 20_000);
    const hanging = server.requests.slice(before).filter((r) => ['slow1', 'slow2'].includes(taskOf(r))).map((r) => r.index);
    expect(hanging).toHaveLength(2);
    await wait(200);

    const reply = await call<{ status: string; summary: { completed: number; cancelled: number } }>(system.baseUrl, 'POST', `/v1/swarm/${launched.swarm_id}/cancel`, { token });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: 'cancelled', summary: { completed: 1, cancelled: 4 } });
    cancelled = true;
    await Promise.all(hanging.map((i) => server.waitForClientClose(i, 10_000)));
    await waitForSwarmEvent(stream, 'swarm_cancelled');
    const requestsAfterCancel = server.requests.length;
    await wait(1_000);
    expect(server.requests.length).toBe(requestsAfterCancel);
    const atCancel = parseEvents(stream);
    expect(swarmLifecycle(atCancel).filter((t) => t.startsWith('swarm_task_started'))).toEqual([
      'swarm_task_started:first', 'swarm_task_started:slow1', 'swarm_task_started:slow2',
    ]);
    const cancelledEvent = atCancel.find((e) => e.type === 'swarm_cancelled');
    expect(cancelledEvent?.data.run_ids).toHaveLength(2);
    const firstRun = (await swarmTasks(system.baseUrl, token, launched.swarm_id)).first?.run_id;
    // A plain POST with no body works, and a second cancel changes nothing.
    const again = await fetch(new URL(`/v1/swarm/${launched.swarm_id}/cancel`, system.baseUrl), { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(again.status).toBe(200);

    const retried = await call<{ status: string }>(system.baseUrl, 'POST', `/v1/swarm/${launched.swarm_id}/retry`, { token });
    expect(retried.status).toBe(200);
    expect(retried.body.status).toBe('running');
    const done = await waitForSwarmStatus(system.baseUrl, token, launched.swarm_id, 'completed');
    expect(done.summary).toMatchObject({ completed: 5, cancelled: 0 });
    const tasks = await swarmTasks(system.baseUrl, token, launched.swarm_id);
    expect(tasks.first).toMatchObject({ outputs: { result: 'kept' }, attempts: 1, run_id: firstRun });
    expect(tasks.slow1).toMatchObject({ outputs: { result: 'after-slow1' }, attempts: 2 });
    expect(server.requests.slice(before).filter((r) => taskOf(r) === 'first')).toHaveLength(1);
    const laterPrompt = server.requests.filter((r) => titleOf(r) === 'cancel later').map(promptOf);
    expect(laterPrompt[0]).toContain('after-slow1');
    stream.close();
    // A finished swarm cannot be cancelled; a running one cannot be retried.
    expect((await call(system.baseUrl, 'POST', `/v1/swarm/${launched.swarm_id}/cancel`, { token })).status).toBe(409);
  });

  it('plans a goal on the dry-run model into a valid graph and runs it', async () => {
    const reply = await call<{ plan_run_id: string; graph: { tasks: Array<{ key: string; dependencies: string[] }>; root_tasks: string[] }; swarm: { swarm_id: string; total_tasks: number } | null }>(
      system.baseUrl, 'POST', '/v1/swarm/plan', { token, body: { goal: 'Set up CI for a Node.js app', agent_id: AGENT, execute: true } },
    );
    expect(reply.status).toBe(201);
    const { graph, swarm } = reply.body;
    expect(graph.tasks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(graph.tasks.map((t) => t.key)).size).toBe(graph.tasks.length);
    expect(graph.tasks.every((t) => t.key.includes('Set up CI for a Node.js app'))).toBe(true);
    expect(swarm?.total_tasks).toBe(graph.tasks.length);
    const done = await waitForSwarmStatus(system.baseUrl, token, swarm!.swarm_id, 'completed');
    expect(done.goal).toBe('Set up CI for a Node.js app');
    const tasks = await swarmTasks(system.baseUrl, token, swarm!.swarm_id);
    expect(Object.keys(tasks)).toEqual(graph.tasks.map((t) => t.key));
    expect(Object.values(tasks).every((t) => String(t.outputs?.result).startsWith('[dry-run]'))).toBe(true);
    // Without execute: the graph only.
    const planOnly = await call<{ swarm: unknown }>(system.baseUrl, 'POST', '/v1/swarm/plan', { token, body: { goal: 'Write docs', agent_id: AGENT } });
    expect(planOnly.status).toBe(201);
    expect(planOnly.body.swarm).toBeNull();
  });

  it('spawns a one-off execution that returns at once and reads its status, outputs and run', async () => {
    const reply = await call<{ id: string; run_id: string; status: string }>(system.baseUrl, 'POST', '/v1/spawn-executor/execute', {
      token, body: { agent_id: AGENT, execution_prompt: 'Say hello', deviation_rules: 'Be brief' },
    });
    expect(reply.status).toBe(201);
    expect(reply.body.run_id).toBe(reply.body.id);
    const done = await (async () => {
      for (let i = 0; i < 200; i++) {
        const got = await call<{ status: string; outputs: Record<string, unknown> | null }>(system.baseUrl, 'GET', `/v1/spawn-executor/${reply.body.id}`, { token });
        if (got.body.status === 'completed') return got.body;
        await wait(50);
      }
      throw new Error('spawned execution did not complete');
    })();
    expect(String(done.outputs?.result)).toContain('Say hello');
    const run = await call<{ pipeline_id: string; task_description: string }>(system.baseUrl, 'GET', `/v1/runs/${reply.body.run_id}`, { token });
    expect(run.body).toMatchObject({ pipeline_id: 'spawn', task_description: expect.stringContaining('Be brief') });
    expect((await call(system.baseUrl, 'GET', '/v1/spawn-executor/does-not-exist', { token })).status).toBe(404);
  });

  it('lists swarms by status and agent, and hides another user\'s swarms (404 on read)', async () => {
    const member = await createMember(system.baseUrl, token, 'swarm-member@example.com');
    const mine = await launchSwarm(system.baseUrl, member.tokens.access_token, { agent_id: AGENT, tasks: [swarmTask('x')] });
    await waitForSwarmStatus(system.baseUrl, member.tokens.access_token, mine.swarm_id, 'completed');
    const theirs = await call<{ swarms: Array<{ swarm_id: string }>; total: number }>(system.baseUrl, 'GET', '/v1/swarms?status=completed', { token: member.tokens.access_token });
    expect(theirs.body.swarms.map((s) => s.swarm_id)).toEqual([mine.swarm_id]);
    const admins = await call<{ swarms: Array<{ swarm_id: string; status: string }>; total: number }>(system.baseUrl, 'GET', `/v1/swarms?agent_id=${AGENT}&limit=500`, { token });
    expect(admins.body.swarms.map((s) => s.swarm_id)).toContain(mine.swarm_id);
    const failedOnly = await call<{ swarms: Array<{ status: string }> }>(system.baseUrl, 'GET', '/v1/swarms?status=failed', { token });
    expect(failedOnly.body.swarms.every((s) => s.status === 'failed')).toBe(true);
    const other = await createMember(system.baseUrl, token, 'other-member@example.com');
    expect((await call(system.baseUrl, 'GET', `/v1/swarm/${mine.swarm_id}`, { token: other.tokens.access_token })).status).toBe(404);
    expect((await call(system.baseUrl, 'POST', `/v1/swarm/${mine.swarm_id}/cancel`, { token: other.tokens.access_token })).status).toBe(404);
    // On the stream, the swarm's events and its runs' reach its owner, not another member.
    const own = await followSwarm(system.baseUrl, member.tokens.access_token, mine.swarm_id);
    const peek = await followSwarm(system.baseUrl, other.tokens.access_token, mine.swarm_id);
    const seen = await waitForSwarmEvent(own, 'swarm_completed');
    expect(seen.some((e) => e.type === 'run_complete')).toBe(true);
    await wait(300);
    own.close();
    peek.close();
    expect(peek.events).toEqual([]);
    expect((await getSwarm(system.baseUrl, token, mine.swarm_id)).status).toBe('completed');
  });

  it('keeps max_concurrent while a wide swarm runs on the dry-run model', async () => {
    const launched = await launchSwarm(system.baseUrl, token, { agent_id: AGENT, max_concurrent: 3, tasks: Array.from({ length: 12 }, (_, i) => swarmTask(`w${i}`)) });
    const stream = await followSwarm(system.baseUrl, token, launched.swarm_id);
    await waitForSwarmStatus(system.baseUrl, token, launched.swarm_id, 'completed');
    const events = await waitForSwarmEvent(stream, 'swarm_completed');
    stream.close();
    expect(peakRunning(events)).toBe(3);
  });
});
