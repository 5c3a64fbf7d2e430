import { registry } from '@cadre/cadre';
import { testing } from '@cadre/llm';
import { createMember, setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { createPipeline, createRun, providerEnv, waitForRunStatus } from '../support/runs';
import { startSystem, type System } from '../support/system';

const { openAiStream } = testing;

// The memory tools of the agent executor, on a scripted OpenAI model: one step remembers a
// lesson, the next is given it in its prompt and recalls it (the search, logged as a retrieval) and rates it useful; the
// adaptive score moves as the formula says. The memory belongs to the run's user.

const memoryFlow = {
  id: 'e2e-memory',
  name: 'E2E memory flow',
  defaults: { model: 'openai/gpt-test', timeoutSeconds: 30, maxRetries: 0, maxTurns: 6, temperature: 0 },
  agents: [{ id: 'e2e-learner', name: 'Learner', persona: 'You learn from the past.', tools: ['remember', 'recall', 'rate_memories'] }],
  steps: [
    { id: 'learn', agent: 'e2e-learner', input: 'Learn: {{task_description}}', outputs: ['result'] },
    { id: 'apply', agent: 'e2e-learner', input: 'Apply what you know about {{task_description}}', outputs: ['result'] },
  ],
};

interface OpenAiMessage { role: string; content?: string; tool_calls?: Array<{ function: { name: string } }> }

/** The scripted model: which turn of which step the request is decides the answer; ids come from earlier tool results. */
function script(request: testing.RecordedRequest): testing.ScriptedResponse {
  const messages = (request.body as { messages: OpenAiMessage[] }).messages;
  const user = messages.find((m) => m.role === 'user')?.content ?? '';
  const tools = messages.filter((m) => m.role === 'tool');
  const call = (name: string, args: object) => openAiStream({ toolCalls: [{ id: `${name}-${tools.length}`, name, args: JSON.stringify(args) }] });
  if (user.startsWith('Learn')) {
    if (tools.length === 0) return call('remember', { title: 'Deploy freeze', body: 'Never deploy on Fridays: the on-call team is thin.', type: 'lesson', tags: ['deploy'] });
    return call('complete', { result: 'remembered' });
  }
  if (tools.length === 0) return call('recall', { query: 'friday deploys' });
  if (tools.length === 1) {
    const recalled = JSON.parse(tools[0]!.content ?? '{}') as { memories?: Array<{ id: string }> };
    return call('rate_memories', { ratings: (recalled.memories ?? []).map((m) => ({ memory_id: m.id, useful: true })) });
  }
  return call('complete', { result: tools[0]!.content ?? '' });
}

interface Score { memory_id: string; access_count: number; valuation_count: number; useful_count: number; usefulness: number; recency: number; frequency: number; adaptive_score: number }

describe('memory tools in a pipeline on a scripted model', () => {
  let server: testing.ScriptedServer;
  let system: System;
  let admin: string;
  let alice: string;
  beforeAll(async () => {
    server = await testing.startScriptedServer();
    server.respondWith(script);
    system = await startSystem({ transport: 'embedded', registry, env: providerEnv(server), orchestration: {} });
    admin = (await setupAdmin(system.baseUrl)).access_token;
    alice = (await createMember(system.baseUrl, admin, 'alice@example.com')).tokens.access_token;
    await createPipeline(system.baseUrl, admin, memoryFlow);
  });
  afterAll(async () => {
    await system?.stop();
    await server?.close();
  });

  it('remembers in one step, recalls and rates in the next, and moves the adaptive score by the formula', async () => {
    const run = await createRun(system.baseUrl, alice, { pipeline_id: 'e2e-memory', task_description: 'deploy timing' });
    const done = await waitForRunStatus(system.baseUrl, alice, run.id, 'completed', 30_000);
    const recalled = JSON.parse(String((done.outputs as { apply: { result: string } }).apply.result)) as { memories: Array<{ id: string; title: string; match: string }> };
    expect(recalled.memories).toEqual([expect.objectContaining({ title: 'Deploy freeze', match: 'text' })]);
    const memoryId = recalled.memories[0]!.id;

    // The second step's prompt was given the memory up front (the search, not logged as a recall); the first had none yet.
    const systemOf = (start: string) => server.requests
      .map((r) => (r.body as { messages: OpenAiMessage[] }).messages)
      .filter((messages) => messages.find((m) => m.role === 'user')?.content?.startsWith(start))
      .map((messages) => messages.find((m) => m.role === 'system')?.content ?? '');
    expect(systemOf('Apply').every((prompt) => prompt.includes(`[${memoryId}] Deploy freeze: Never deploy on Fridays`))).toBe(true);
    expect(systemOf('Apply').length).toBeGreaterThan(0);
    expect(systemOf('Learn').some((prompt) => prompt.includes('From your memory'))).toBe(false);

    // The memory is alice's, in the agent's vault.
    const mine = await call<{ owner: string; type: string }>(system.baseUrl, 'GET', `/v1/memory/vaults/e2e-learner/memories/${memoryId}`, { token: alice });
    expect(mine.status).toBe(200);
    expect(mine.body.type).toBe('lesson');
    const bob = (await createMember(system.baseUrl, admin, 'bob@example.com')).tokens.access_token;
    expect((await call(system.baseUrl, 'GET', `/v1/memory/vaults/e2e-learner/memories/${memoryId}`, { token: bob })).status).toBe(404);

    // One recall, one valuation (under the 3 needed for a signal): usefulness 0.5, recency ~1,
    // frequency ln 2 / ln 50; adaptive = 0.6·0.5 + 0.25·1 + 0.15·0.177 = 0.5766.
    const scores = async () => (await call<{ scores: Score[] }>(system.baseUrl, 'GET', '/v1/memory-scores/e2e-learner', { token: alice })).body.scores;
    const first = (await scores()).find((s) => s.memory_id === memoryId)!;
    expect(first).toMatchObject({ access_count: 1, valuation_count: 1, useful_count: 1, usefulness: 0.5 });
    expect(first.frequency).toBeCloseTo(Math.log(2) / Math.log(50), 5);
    expect(first.adaptive_score).toBeCloseTo(0.3 + 0.25 + 0.15 * (Math.log(2) / Math.log(50)), 3);

    // Two more valuations, not useful: 1 of 3 useful is a signal now, 0.2 + 0.25 + 0.0266 = 0.4766.
    for (let i = 0; i < 2; i++) {
      const put = await call<Score>(system.baseUrl, 'PUT', `/v1/memory-scores/e2e-learner/${memoryId}`, { token: alice, body: { useful: false } });
      expect(put.status).toBe(200);
    }
    const third = (await scores()).find((s) => s.memory_id === memoryId)!;
    expect(third).toMatchObject({ valuation_count: 3, useful_count: 1 });
    expect(third.usefulness).toBeCloseTo(1 / 3, 5);
    expect(third.adaptive_score).toBeCloseTo(0.6 / 3 + 0.25 + 0.15 * (Math.log(2) / Math.log(50)), 3);
    expect((await call(system.baseUrl, 'PUT', `/v1/memory-scores/e2e-learner/${memoryId}`, { token: bob, body: { useful: true } })).status).toBe(404);

    // The settings are the formula's parameters: a floor of 0.6 lifts it; reset brings the defaults back.
    expect((await call(system.baseUrl, 'PUT', '/v1/memory-scores/settings', { token: alice, body: { score_floor: 0.6 } })).status).toBe(403);
    expect((await call(system.baseUrl, 'PUT', '/v1/memory-scores/settings', { token: admin, body: { score_floor: 0.6 } })).status).toBe(200);
    expect((await scores()).find((s) => s.memory_id === memoryId)!.adaptive_score).toBe(0.6);
    expect((await call(system.baseUrl, 'PUT', '/v1/memory-scores/settings', { token: admin, body: { weight_recency: 0.9 } })).status).toBe(400);
    const reset = await call<{ score_floor: number }>(system.baseUrl, 'PUT', '/v1/memory-scores/settings', { token: admin, body: { reset: true } });
    expect(reset.body.score_floor).toBe(0.35);
    expect((await call<{ score_floor: number }>(system.baseUrl, 'GET', '/v1/memory-scores/settings', { token: alice })).body.score_floor).toBe(0.35);
  });

  it('records a gap when recall finds nothing', async () => {
    server.respondWith((request) => {
      const messages = (request.body as { messages: OpenAiMessage[] }).messages;
      const tools = messages.filter((m) => m.role === 'tool');
      return tools.length === 0
        ? openAiStream({ toolCalls: [{ id: 'r', name: 'recall', args: '{"query":"quantum entanglement budget"}' }] })
        : openAiStream({ toolCalls: [{ id: 'c', name: 'complete', args: JSON.stringify({ result: tools[0]!.content }) }] });
    });
    const flow = { ...memoryFlow, id: 'e2e-memory-gap', steps: [memoryFlow.steps[1]!] };
    await createPipeline(system.baseUrl, admin, flow);
    const run = await createRun(system.baseUrl, alice, { pipeline_id: 'e2e-memory-gap', task_description: 'nothing known' });
    const done = await waitForRunStatus(system.baseUrl, alice, run.id, 'completed', 30_000);
    expect(JSON.parse(String((done.outputs as { apply: { result: string } }).apply.result))).toEqual({ memories: [], note: 'nothing found; the gap is recorded' });
    const gaps = await call<{ gaps: Array<{ query: string; run_id: string }> }>(system.baseUrl, 'GET', '/v1/memory/vaults/e2e-learner/gaps', { token: alice });
    expect(gaps.body.gaps.map((g) => [g.query, g.run_id])).toEqual([['quantum entanglement budget', run.id]]);
    const bob = (await createMember(system.baseUrl, admin, 'bob2@example.com')).tokens.access_token;
    expect((await call<{ gaps: unknown[] }>(system.baseUrl, 'GET', '/v1/memory/vaults/e2e-learner/gaps', { token: bob })).body.gaps).toEqual([]);
  });
});
