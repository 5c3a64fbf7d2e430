import { testing } from '@cadre/llm';
import { llmCallList, llmCallSummary, llmCallGet } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { ADMIN, PRICES, startHarness, type Harness } from './test-support/harness';

const { openAiStream, openAiError } = testing;

const lookup = {
  name: 'lookup', description: 'Looks a word up',
  parameters: { type: 'object', properties: { word: { type: 'string' } }, required: ['word'] },
  run: (args: Readonly<Record<string, unknown>>) => ({ word: args.word, meaning: 'a small test value' }),
};

describe('agent executor', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ tools: [lookup] });
  });
  afterAll(async () => h?.dispose());

  it('streams an answer, completes the step through the complete tool and reports it once', async () => {
    h.server.enqueue(openAiStream({
      text: 'Here is the plan you asked for, in a few words.',
      toolCalls: [{ id: 'call_1', name: 'complete', args: ['{"plan":', '"step one"}'] }],
      usage: { prompt_tokens: 1000, completion_tokens: 200 },
    }));
    await h.enqueue({ run_id: 'run-complete', step_id: 'plan', outputs: ['plan'] });

    const outcome = await h.outcome('run-complete');
    expect(outcome).toMatchObject({ kind: 'completed', payload: { run_id: 'run-complete', step_id: 'plan', attempt: 1, outputs: { plan: 'step one' } } });
    const started = h.reports.filter((r) => r.kind === 'started' && r.payload.run_id === 'run-complete');
    expect(started).toHaveLength(1);
    expect(outcome.payload.attempt_id).toBe(started[0]?.payload.attempt_id);

    // The model saw the system prompt, the input and a complete tool asking for the declared output.
    const body = h.server.requests[h.server.requests.length - 1]?.body as { messages: Array<{ role: string; content: string }>; tools: Array<{ function: { name: string; parameters: unknown } }> };
    expect(body.messages[0]).toEqual({ role: 'system', content: 'You are a tester.' });
    expect(body.messages[1]).toEqual({ role: 'user', content: 'Do the thing.' });
    expect(body.tools.map((t) => t.function.name)).toEqual(['complete', 'fail']);
    expect(body.tools[0]?.function.parameters).toMatchObject({ required: ['plan'] });

    // The streamed text arrived on the event stream, in order, batched.
    await eventually(() => {
      const chunks = h.eventsOf('agent_output', 'run-complete');
      expect(chunks.map((e) => e.data.chunk).join('')).toBe('Here is the plan you asked for, in a few words.');
      expect(chunks[0]?.data).toMatchObject({ step_id: 'plan', agent_id: 'tester' });
    });
    // The model call is logged with the scripted tokens and the cost from the price table.
    const cost = (1000 * PRICES['openai/gpt-test'].input + 200 * PRICES['openai/gpt-test'].output) / 1_000_000;
    const [call] = await eventually(() => {
      const calls = h.eventsOf('llm_call', 'run-complete');
      expect(calls).toHaveLength(1);
      return calls;
    });
    expect(call?.data).toMatchObject({ provider: 'openai', model: 'gpt-test', input_tokens: 1000, output_tokens: 200, stop_reason: 'tool_use', agent_id: 'tester', step_id: 'plan' });
    expect(call?.data.cost_usd).toBeCloseTo(cost, 10);

    // …and read back from the LLM call log and its summary.
    const list = await eventually(async () => {
      const reply = await h.send(llmCallList, { run_id: 'run-complete' }, ADMIN);
      expect(reply.total).toBe(1);
      return reply;
    });
    expect(list.calls[0]).toMatchObject({ id: call?.data.id, input_tokens: 1000, output_tokens: 200, total_tokens: 1200, provider: 'openai' });
    await expect(h.send(llmCallGet, { id: String(call?.data.id) }, ADMIN)).resolves.toMatchObject({ run_id: 'run-complete', stop_reason: 'tool_use' });
    const summary = await h.send(llmCallSummary, { run_id: 'run-complete' }, ADMIN);
    expect(summary.totals).toMatchObject({ calls: 1, input_tokens: 1000, output_tokens: 200, total_tokens: 1200 });
    expect(summary.totals.cost_usd).toBeCloseTo(cost, 10);
    expect(summary.by_model).toEqual([expect.objectContaining({ provider: 'openai', model: 'gpt-test', calls: 1 })]);
    expect(summary.by_agent).toEqual([expect.objectContaining({ agent_id: 'tester', calls: 1 })]);
  });

  it('runs a tool the model calls and sends the result back in the next request', async () => {
    h.server.enqueue(
      openAiStream({ toolCalls: [{ id: 'call_lookup', name: 'lookup', args: '{"word":"cadre"}' }], usage: { prompt_tokens: 50, completion_tokens: 10 } }),
      openAiStream({ toolCalls: [{ id: 'call_done', name: 'complete', args: '{"result":"looked up"}' }], usage: { prompt_tokens: 80, completion_tokens: 5 } }),
    );
    const before = h.server.requests.length;
    await h.enqueue({ run_id: 'run-tool', step_id: 'research', tools: ['lookup'] });

    await expect(h.outcome('run-tool')).resolves.toMatchObject({ kind: 'completed', payload: { outputs: { result: 'looked up' } } });
    const first = h.server.requests[before]?.body as { tools: Array<{ function: { name: string } }> };
    expect(first.tools.map((t) => t.function.name)).toEqual(['lookup', 'complete', 'fail']);
    const second = h.server.requests[before + 1]?.body as { messages: Array<Record<string, unknown>> };
    expect(second.messages.slice(-2)).toEqual([
      expect.objectContaining({ role: 'assistant', tool_calls: [expect.objectContaining({ id: 'call_lookup' })] }),
      { role: 'tool', tool_call_id: 'call_lookup', name: 'lookup', content: JSON.stringify({ word: 'cadre', meaning: 'a small test value' }) },
    ]);
    await eventually(() => {
      expect(h.eventsOf('tool_call_start', 'run-tool').map((e) => e.data)).toEqual([
        expect.objectContaining({ tool_name: 'lookup', tool_call_id: 'call_lookup', args: { word: 'cadre' }, step_id: 'research' }),
      ]);
      expect(h.eventsOf('tool_call_end', 'run-tool').map((e) => e.data)).toEqual([
        expect.objectContaining({ tool_name: 'lookup', is_error: false, result: { word: 'cadre', meaning: 'a small test value' } }),
      ]);
      expect(h.eventsOf('llm_call', 'run-tool')).toHaveLength(2);
    });
  });

  it('keeps what the steps of one run did in one stream, so the feed is published in the order it happened', async () => {
    for (const step of ['first', 'second']) {
      h.server.enqueue(openAiStream({ text: `${step} done` }));
      await h.enqueue({ run_id: 'run-feed', step_id: step });
      await eventually(() => expect(h.reports.some((r) => r.kind === 'completed' && r.payload.step_id === step && r.payload.run_id === 'run-feed')).toBe(true));
    }
    const { rows } = await h.pool.query<{ kind: string; step_id: string }>(
      "select data->>'kind' as kind, data->>'step_id' as step_id from agents.events where stream_id = 'exec-run-feed' and type = 'activity' order by version");
    expect(rows.map((r) => `${r.kind}:${r.step_id}`)).toEqual(['agent_started:first', 'agent_completed:first', 'agent_started:second', 'agent_completed:second']);
  });

  it("stores a fast step's opening and closing lines in one commit, stamped when each happened", async () => {
    h.server.enqueue(openAiStream({ text: 'quick' }));
    await h.enqueue({ run_id: 'run-one-commit', step_id: 's' });
    await h.outcome('run-one-commit');
    const { rows } = await h.pool.query<{ kind: string; tx: string; at: Date }>(
      "select data->>'kind' as kind, xmin::text as tx, occurred_at as at from agents.events where stream_id = 'exec-run-one-commit' and type = 'activity' order by version");
    expect(rows.map((r) => r.kind)).toEqual(['agent_started', 'agent_completed']);
    expect(rows[0]!.tx).toBe(rows[1]!.tx);
    expect(rows[0]!.at.getTime()).toBeLessThanOrEqual(rows[1]!.at.getTime());
  });

  it("stores a slow step's opening line while the step still runs", async () => {
    const before = h.server.requests.length;
    h.server.enqueue(openAiStream({ text: 'A model that takes its time', then: 'hang' }));
    await h.enqueue({ run_id: 'run-slow-line', step_id: 's' });
    await h.server.waitForRequests(before + 1);
    // The harness holds a line 100 ms: it is stored alone, long before the step ends.
    await eventually(async () => {
      const { rows } = await h.pool.query<{ kind: string }>(
        "select data->>'kind' as kind from agents.events where stream_id = 'exec-run-slow-line' and type = 'activity'");
      expect(rows.map((r) => r.kind)).toEqual(['agent_started']);
    }, 5_000);
    expect(h.reports.filter((r) => r.payload.run_id === 'run-slow-line').map((r) => r.kind)).toEqual(['started']);
    h.cancel('run-slow-line');
    await h.server.waitForClientClose(before);
  });

  it('takes the final text as the output when the model ends without calling complete', async () => {
    h.server.enqueue(openAiStream({ text: 'The answer is 42.' }));
    await h.enqueue({ run_id: 'run-text', step_id: 'answer', outputs: ['answer', 'notes'] });
    await expect(h.outcome('run-text')).resolves.toMatchObject({ kind: 'completed', payload: { outputs: { answer: 'The answer is 42.' } } });
  });

  it('fails the step for good when the provider rejects the key', async () => {
    h.server.enqueue(openAiError(401, 'Incorrect API key provided'));
    await h.enqueue({ run_id: 'run-401', step_id: 's' });
    const outcome = await h.outcome('run-401');
    expect(outcome).toMatchObject({ kind: 'failed', payload: { retryable: false } });
    expect(outcome.payload.error).toMatch(/openai rejected the API key \(401\): Incorrect API key provided/);
  });

  it('retries a 429 after its Retry-After and completes', async () => {
    const before = h.server.requests.length;
    h.server.enqueue(openAiError(429, 'slow down', { 'retry-after': '1' }), openAiStream({ text: 'done after waiting' }));
    await h.enqueue({ run_id: 'run-429', step_id: 's' });
    await h.server.waitForRequests(before + 1);
    const rejectedAt = Date.now();
    await expect(h.outcome('run-429')).resolves.toMatchObject({ kind: 'completed', payload: { outputs: { result: 'done after waiting' } } });
    expect(h.server.requests.length - before).toBe(2);
    // The second request waited for the Retry-After second (with a margin for timer coarseness).
    expect(Date.now() - rejectedAt).toBeGreaterThanOrEqual(900);
  });

  it('aborts the model request when the run is cancelled and reports nothing; a step of another run goes on', async () => {
    const before = h.server.requests.length;
    h.server.enqueue(
      openAiStream({ text: 'I am writing a very long answer that never', then: 'hang' }),
      openAiStream({ text: 'Another run, another answer that never', then: 'hang' }),
    );
    await h.enqueue({ run_id: 'run-cancel', step_id: 's' });
    await h.server.waitForRequests(before + 1);
    await h.enqueue({ run_id: 'run-other', step_id: 's' });
    await h.server.waitForRequests(before + 2);
    await eventually(() => expect(h.eventsOf('agent_output', 'run-cancel').length).toBeGreaterThan(0));
    h.cancel('run-cancel');
    await h.server.waitForClientClose(before);
    // Only the cancelled run's step heard it; the other run's goes on until its own cancel.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.server.requests[before + 1]?.closedByClient).toBe(false);
    h.cancel('run-other');
    await h.server.waitForClientClose(before + 1);
    // The job is acked (the queue empties) and no completion or failure was reported.
    await eventually(async () => expect(await h.bus.workQueue('steps').depth()).toBe(0));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.reports.filter((r) => r.payload.run_id === 'run-cancel').map((r) => r.kind)).toEqual(['started']);
    expect(h.eventsOf('llm_call', 'run-cancel').map((e) => e.data.stop_reason)).toEqual(['aborted']);
  });

  it('completes a step offline with the dry-run model', async () => {
    await h.enqueue({ run_id: 'run-dry', step_id: 'outline', model: 'dry-run/echo', outputs: ['outline'] });
    const outcome = await h.outcome('run-dry');
    expect(outcome).toMatchObject({ kind: 'completed' });
    expect(typeof (outcome.payload.outputs as Record<string, unknown>).outline).toBe('string');
  });

  it('feeds a complete call missing an output back to the model', async () => {
    h.server.enqueue(
      openAiStream({ toolCalls: [{ id: 'c1', name: 'complete', args: '{"a":"x"}' }] }),
      openAiStream({ toolCalls: [{ id: 'c2', name: 'complete', args: '{"a":"x","b":"y"}' }] }),
    );
    await h.enqueue({ run_id: 'run-missing', step_id: 's', outputs: ['a', 'b'] });
    await expect(h.outcome('run-missing')).resolves.toMatchObject({ kind: 'completed', payload: { outputs: { a: 'x', b: 'y' } } });
  });
});
