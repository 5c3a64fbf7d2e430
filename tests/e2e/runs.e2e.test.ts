import { testing } from '@cadre/llm';
import { eventually } from '@cadre/testing';
import { reviewFlow } from '../fixtures/pipelines';
import { lookupTool } from '../fixtures/tools';
import { setupAdmin } from '../support/auth';
import { call } from '../support/http';
import {
  costOf, createPipeline, createRun, followRun, getStep, lifecycle, parseEvents, providerEnv, waitForEvent, waitForRunStatus,
  type StreamedEvent,
} from '../support/runs';
import { startSystem, TRANSPORTS, type System } from '../support/system';

const { anthropicStream, openAiStream } = testing;

describe.each(TRANSPORTS)('a run of a 3-step pipeline through the HTTP API on the %s system', (transport) => {
  let server: testing.ScriptedServer;
  let system: System;
  let token: string;
  beforeAll(async () => {
    server = await testing.startScriptedServer();
    system = await startSystem({ transport, env: providerEnv(server), orchestration: { tools: [lookupTool] } });
    token = (await setupAdmin(system.baseUrl)).access_token;
    await createPipeline(system.baseUrl, token, reviewFlow);
  });
  afterAll(async () => {
    await system?.stop();
    await server?.close();
  });

  it('calls a tool, routes back once on CHANGES_REQUESTED, completes, and streams every event in order', async () => {
    // One answer per model call, in the order the run makes them.
    server.enqueue(
      openAiStream({ text: 'Planning.', toolCalls: [{ id: 'c1', name: 'complete', args: ['{"plan":', '"three files"}'] }], usage: { prompt_tokens: 100, completion_tokens: 20 } }),
      openAiStream({ toolCalls: [{ id: 'c2', name: 'lookup', args: '{"word":"cadre"}' }], usage: { prompt_tokens: 50, completion_tokens: 10 } }),
      openAiStream({ toolCalls: [{ id: 'c3', name: 'complete', args: '{"summary":"change v1"}' }], usage: { prompt_tokens: 80, completion_tokens: 5 } }),
      anthropicStream({ thinking: ['The diff ', 'has no tests.'], text: ['Needs ', 'tests.'], toolUses: [{ id: 't1', name: 'complete', input: '{"verdict":"CHANGES_REQUESTED","comments":"add tests"}' }], usage: { input_tokens: 300, output_tokens: 40 } }),
      openAiStream({ toolCalls: [{ id: 'c4', name: 'complete', args: '{"summary":"change v2"}' }], usage: { prompt_tokens: 90, completion_tokens: 6 } }),
      anthropicStream({ toolUses: [{ id: 't2', name: 'complete', input: '{"verdict":"APPROVED","comments":"ok"}' }], usage: { input_tokens: 310, output_tokens: 12 } }),
    );
    const before = server.requests.length;
    const run = await createRun(system.baseUrl, token, { pipeline_id: 'e2e-review', task_description: 'Build a todo API', project_name: 'todo' });
    expect(run).toMatchObject({ pipeline_id: 'e2e-review', status: expect.stringMatching(/pending|running/), task_description: 'Build a todo API' });

    const done = await waitForRunStatus(system.baseUrl, token, run.id, 'completed', 30_000);
    expect(done.outputs).toMatchObject({ plan: { plan: 'three files' }, implement: { summary: 'change v2' }, review: { verdict: 'APPROVED' } });

    // The stream, from its start, filtered on the run: the lifecycle in order, then the agent events.
    const stream = await followRun(system.baseUrl, token, run.id);
    await waitForEvent(stream, 'run_complete');
    const events = await eventually(() => {
      const all = parseEvents(stream);
      expect(all.filter((e) => e.type === 'llm_call')).toHaveLength(6);
      // The last feed line may follow run_complete on the stream (another service's relay).
      expect(all.filter((e) => e.type === 'activity')).toHaveLength(11);
      return all;
    });
    stream.close();
    const ids = events.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(events.every((e) => e.data.run_id === run.id)).toBe(true);
    expect(lifecycle(events)).toEqual([
      'run_created',
      'step_queued:plan#1', 'step_started:plan#1', 'step_complete:plan#1',
      'step_queued:implement#1', 'step_started:implement#1', 'step_complete:implement#1',
      'step_queued:review#1', 'step_started:review#1', 'step_complete:review#1',
      'step_queued:implement#2', 'step_started:implement#2', 'step_complete:implement#2',
      'step_queued:review#2', 'step_started:review#2', 'step_complete:review#2',
      'run_complete',
    ]);

    // Streamed text and thinking of each step (chunks may be batched, never reordered). They are
    // published by the executor while the runs service's relay publishes the lifecycle, so their
    // order is checked among the executor's own events.
    const of = (type: string, stepId: string) => events.filter((e) => e.type === type && e.data.step_id === stepId);
    const text = (list: readonly StreamedEvent[]) => list.map((e) => e.data.chunk).join('');
    expect(text(of('agent_output', 'plan'))).toBe('Planning.');
    expect(of('agent_output', 'plan')[0]?.data).toMatchObject({ run_id: run.id, step_id: 'plan', agent_id: 'e2e-planner' });
    expect(text(of('agent_thinking', 'review'))).toBe('The diff has no tests.');
    expect(text(of('agent_output', 'review'))).toBe('Needs tests.');
    expect(of('agent_thinking', 'review').at(-1)!.id).toBeLessThan(of('agent_output', 'review')[0]!.id);
    expect([...of('agent_thinking', 'review'), ...of('agent_output', 'review')].every((e) => e.data.agent_id === 'e2e-reviewer')).toBe(true);
    expect(events.filter((e) => e.type === 'agent_output').map((e) => e.data.step_id)).toEqual(['plan', 'review']);

    // The activity feed: what each agent did, in order.
    const feed = events.filter((e) => e.type === 'activity').map((e) => `${String(e.data.kind)}:${String(e.data.step_id)}`);
    expect(feed).toEqual([
      'agent_started:plan', 'agent_completed:plan',
      'agent_started:implement', 'tool_called:implement', 'agent_completed:implement',
      'agent_started:review', 'agent_completed:review',
      'agent_started:implement', 'agent_completed:implement',
      'agent_started:review', 'agent_completed:review',
    ]);
    expect(events.find((e) => e.type === 'activity' && e.data.kind === 'tool_called')?.data).toMatchObject({
      run_id: run.id, agent_id: 'e2e-dev', message: 'e2e-dev called lookup in step implement',
    });

    // The tool call of step 2: started, then ended with the tool's result, inside implement#1.
    const toolEvents = events.filter((e) => e.type.startsWith('tool_call_'));
    expect(toolEvents.map((e) => [e.type, e.data.tool_name, e.data.step_id])).toEqual([
      ['tool_call_start', 'lookup', 'implement'], ['tool_call_end', 'lookup', 'implement'],
    ]);
    expect(toolEvents[0]?.data).toMatchObject({ tool_call_id: 'c2', args: { word: 'cadre' }, agent_id: 'e2e-dev' });
    expect(toolEvents[1]?.data).toMatchObject({ is_error: false, result: { word: 'cadre', meaning: 'a small test value' } });
    // After the step started: the executor calls the model only once the runs service committed
    // step_started. (Their places on the stream may still cross: two services' relays publish them,
    // and the architecture orders events within a stream, not across services.)
    const startedImplement = events.find((e) => e.type === 'step_started' && e.data.step_id === 'implement')!;
    expect(Date.parse(toolEvents[0]!.occurredAt)).toBeGreaterThanOrEqual(Date.parse(startedImplement.occurredAt));

    // llm_call: the scripted token counts and the cost from the price table, per provider.
    const calls = events.filter((e) => e.type === 'llm_call').map((e) => e.data);
    const expected = [
      ['plan', 'openai', 'gpt-test', 100, 20], ['implement', 'openai', 'gpt-test', 50, 10], ['implement', 'openai', 'gpt-test', 80, 5],
      ['review', 'anthropic', 'claude-test', 300, 40], ['implement', 'openai', 'gpt-test', 90, 6], ['review', 'anthropic', 'claude-test', 310, 12],
    ] as const;
    expect(calls.map((c) => [c.step_id, c.provider, c.model, c.input_tokens, c.output_tokens])).toEqual(expected);
    calls.forEach((c, i) => {
      const [, provider, model, input, output] = expected[i]!;
      expect(c.cost_usd).toBeCloseTo(costOf(`${provider}/${model}`, input, output), 10);
    });
    expect(server.requests.length - before).toBe(6);
    expect(server.requests.slice(before).map((r) => r.path)).toEqual([
      '/v1/chat/completions', '/v1/chat/completions', '/v1/chat/completions', '/v1/messages', '/v1/chat/completions', '/v1/messages',
    ]);
    // The second implement attempt saw the review's comments.
    const fifth = server.requests[before + 4]?.body as { messages: Array<{ role: string; content: string }> };
    expect(fifth.messages.find((m) => m.role === 'user')?.content).toContain('Comments: add tests');

    // Steps and outputs through /v1/steps.
    const steps = await call<{ steps: Array<{ step_id: string; status: string; attempt: number }> }>(system.baseUrl, 'GET', `/v1/steps/${run.id}`, { token });
    expect(steps.body.steps.map((s) => [s.step_id, s.status, s.attempt])).toEqual([['plan', 'completed', 1], ['implement', 'completed', 2], ['review', 'completed', 2]]);
    await expect(getStep(system.baseUrl, token, run.id, 'review')).resolves.toMatchObject({ agent_id: 'e2e-reviewer', outputs: { verdict: 'APPROVED', comments: 'ok' } });
    const output = await call(system.baseUrl, 'GET', `/v1/steps/${run.id}/implement/output`, { token });
    expect(output.body).toEqual({ run_id: run.id, step_id: 'implement', status: 'completed', outputs: { summary: 'change v2' } });

    // The LLM call log shows the same six calls.
    const logged = await eventually(async () => {
      const reply = await call<{ total: number; calls: Array<Record<string, unknown>> }>(system.baseUrl, 'GET', `/v1/llm-calls?run_id=${run.id}`, { token });
      expect(reply.status).toBe(200);
      expect(reply.body.total).toBe(6);
      return reply.body;
    });
    const ids6 = new Set(calls.map((c) => c.id));
    expect(logged.calls.every((c) => ids6.has(c.id))).toBe(true);
    const totalCost = calls.reduce((sum, c) => sum + Number(c.cost_usd), 0);
    const summary = await call<{ totals: { calls: number; input_tokens: number; output_tokens: number; cost_usd: number } }>(system.baseUrl, 'GET', `/v1/llm-calls/summary?run_id=${run.id}`, { token });
    expect(summary.body.totals).toMatchObject({ calls: 6, input_tokens: 930, output_tokens: 93 });
    expect(summary.body.totals.cost_usd).toBeCloseTo(totalCost, 10);
    // The admin created the run: its six calls are the admin's personal usage.
    const usage = await call<{ user_id: string; totals: { calls: number; input_tokens: number; cost_usd: number } }>(system.baseUrl, 'GET', '/v1/usage', { token });
    expect(usage.status).toBe(200);
    expect(usage.body.totals).toMatchObject({ calls: 6, input_tokens: 930 });
    expect(usage.body.totals.cost_usd).toBeCloseTo(totalCost, 10);
  });
});

describe('the runs list, with large runs', () => {
  let system: System;
  let token: string;
  beforeAll(async () => {
    system = await startSystem({ transport: 'embedded', env: { RUNS_LIST_PAGE_BYTES: '10000' }, orchestration: {} });
    token = (await setupAdmin(system.baseUrl)).access_token;
  });
  afterAll(() => system?.stop());

  it('lists summaries in pages bounded in bytes, and the run itself has everything', async () => {
    const tasks = Array.from({ length: 10 }, (_, i) => `${i}: ${'a long task description '.repeat(220)}`);
    const ids = [];
    for (const task of tasks) ids.push((await createRun(system.baseUrl, token, { pipeline_id: 'demo', task_description: task })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { runs: Array<{ id: string; task_description: string; truncated?: string[] }>; next_cursor: string | null } } =
        await call(system.baseUrl, 'GET', `/v1/runs?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
      expect(page.status).toBe(200);
      expect(Buffer.byteLength(JSON.stringify(page.body.runs))).toBeLessThan(12_000);
      for (const run of page.body.runs) {
        expect(run.task_description.length).toBeLessThanOrEqual(1_000);
        expect(run.truncated).toContain('task_description');
        seen.push(run.id);
      }
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBeGreaterThan(1);
    expect(seen.sort()).toEqual([...ids].sort());
    const whole = await call<{ task_description: string; truncated?: unknown }>(system.baseUrl, 'GET', `/v1/runs/${ids[3]}`, { token });
    expect(whole.body.task_description).toBe(tasks[3]);
    expect(whole.body.truncated).toBeUndefined();
  });
});
