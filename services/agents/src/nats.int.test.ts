import { testing } from '@cadre/llm';
import { llmCallSummary, providerUpdate } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { ADMIN, startHarness, type Harness } from './test-support/harness';

const { anthropicStream, openAiStream } = testing;

describe('agent executor on NATS', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ transport: 'nats', rejectStart: (runId) => runId === 'run-stale', env: { AGENTS_CONCURRENCY: '1' } });
  });
  afterAll(async () => h?.dispose());

  it('runs a step on Anthropic: thinking and text streamed, outputs through complete, the call priced', async () => {
    h.server.enqueue(anthropicStream({
      thinking: 'Let me think about the review.', text: 'Reviewing the change now.',
      toolUses: [{ id: 'toolu_1', name: 'complete', input: ['{"verdict":', '"APPROVED"}'] }],
      usage: { input_tokens: 2000, output_tokens: 100 },
    }));
    await h.enqueue({ run_id: 'run-anthropic', step_id: 'review', model: 'anthropic/claude-test', outputs: ['verdict'] });

    await expect(h.outcome('run-anthropic')).resolves.toMatchObject({ kind: 'completed', payload: { outputs: { verdict: 'APPROVED' } } });
    const request = h.server.requests[h.server.requests.length - 1];
    expect(request).toMatchObject({ path: '/v1/messages' });
    expect(request?.headers['x-api-key']).toBe('ak-test-key-0002');
    await eventually(() => {
      expect(h.eventsOf('agent_thinking', 'run-anthropic').map((e) => e.data.chunk).join('')).toBe('Let me think about the review.');
      expect(h.eventsOf('agent_output', 'run-anthropic').map((e) => e.data.chunk).join('')).toBe('Reviewing the change now.');
      expect(h.eventsOf('llm_call', 'run-anthropic').map((e) => e.data)).toEqual([
        expect.objectContaining({ provider: 'anthropic', model: 'claude-test', input_tokens: 2000, output_tokens: 100, cost_usd: (2000 * 3 + 100 * 15) / 1_000_000 }),
      ]);
    });
    // Thinking precedes the text on the stream, as the model produced them.
    const kinds = h.events.map((m) => m.subject).filter((s) => s.endsWith('.run-anthropic') && /agent_(output|thinking)/.test(s));
    expect(kinds[0]).toBe('evt.agents.agent_thinking.run-anthropic');
    const summary = await eventually(async () => {
      const reply = await h.send(llmCallSummary, { run_id: 'run-anthropic' }, ADMIN);
      expect(reply.totals.calls).toBe(1);
      return reply;
    });
    expect(summary.by_provider).toEqual([expect.objectContaining({ provider: 'anthropic', input_tokens: 2000, output_tokens: 100 })]);
  });

  it('fails a step that runs out of time, retryable', async () => {
    h.server.enqueue(openAiStream({ text: 'thinking forever', then: 'hang' }));
    await h.enqueue({ run_id: 'run-timeout', step_id: 's', limits: { timeout_seconds: 0.5, max_turns: 3 } });
    await expect(h.outcome('run-timeout')).resolves.toMatchObject({ kind: 'failed', payload: { retryable: true, error: 'the step ran out of time (0.5 s)' } });
  });

  it('aborts the model request on a cancel published through NATS', async () => {
    const before = h.server.requests.length;
    h.server.enqueue(openAiStream({ text: 'a long answer that never ends', then: 'hang' }));
    await h.enqueue({ run_id: 'run-cancel', step_id: 's' });
    await h.server.waitForRequests(before + 1);
    h.cancel('run-cancel');
    await h.server.waitForClientClose(before);
    await eventually(async () => expect(await h.bus.workQueue('steps').depth()).toBe(0));
    expect(h.reports.filter((r) => r.payload.run_id === 'run-cancel').map((r) => r.kind)).toEqual(['started']);
  });

  it('drops a job whose step already moved on, without calling the model', async () => {
    const before = h.server.requests.length;
    await h.enqueue({ run_id: 'run-stale', step_id: 's' });
    await eventually(() => expect(h.reports.some((r) => r.kind === 'started' && r.payload.run_id === 'run-stale')).toBe(true));
    await eventually(async () => expect(await h.bus.workQueue('steps').depth()).toBe(0));
    expect(h.server.requests.length).toBe(before);
    expect(h.reports.filter((r) => r.payload.run_id === 'run-stale').map((r) => r.kind)).toEqual(['started']);
  });

  it('rebuilds every replica\'s model registry when a provider changes', async () => {
    await h.addReplica();
    await h.send(providerUpdate, { id: 'late', kind: 'openai', base_url: `${h.server.url}/v1`, api_key: 'sk-late-provider-key-1' }, ADMIN);
    // Two slow answers at once: with one job per replica, each replica runs one of them.
    h.server.respondWith(() => openAiStream({ text: 'answer from the late provider', frameDelayMs: 100 }));
    await h.enqueue({ run_id: 'run-late-1', step_id: 's', model: 'late/m' });
    await h.enqueue({ run_id: 'run-late-2', step_id: 's', model: 'late/m' });
    const outcomes = [await h.outcome('run-late-1'), await h.outcome('run-late-2')];
    expect(outcomes.map((o) => [o.kind, o.payload.error])).toEqual([['completed', undefined], ['completed', undefined]]);
  });
});
