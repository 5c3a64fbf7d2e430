import { createLlmRegistry } from './registry';
import { anthropicError, anthropicStream, startScriptedServer, type ScriptedServer } from './testing';
import type { LlmCallRecord, LlmRequest, LlmStreamEvent } from './types';

const request: LlmRequest = {
  model: 'anthropic/claude-sonnet-4-20250514',
  system: 'You are careful.',
  messages: [{ role: 'user', content: 'What is in README.md?' }],
  tools: [{ name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } }],
  thinkingBudget: 1024,
};

describe('Anthropic provider against a scripted server', () => {
  let server: ScriptedServer;
  let records: LlmCallRecord[];

  beforeEach(async () => {
    server = await startScriptedServer();
    records = [];
  });
  afterEach(() => server.close());

  const registry = () =>
    createLlmRegistry(
      { providers: { anthropic: { base_url: server.url, api_key: 'ak-test' } }, retry: { base_delay_ms: 20 } },
      { onCall: (record) => records.push(record) },
    );

  it('streams thinking, text and a tool use assembled from JSON fragments, with usage and stop reason', async () => {
    server.enqueue(anthropicStream({
      thinking: 'The user wants the README.',
      signature: 'sig-1',
      text: 'Let me read it.',
      toolUses: [{ id: 'toolu_1', name: 'read_file', input: ['{"path"', ': "READ', 'ME.md"}'] }],
      usage: { input_tokens: 2000, output_tokens: 150, cache_read_input_tokens: 1000 },
    }));
    const events: LlmStreamEvent[] = [];
    for await (const event of registry().stream(request)) events.push(event);

    expect(events.filter((e) => e.type === 'thinking_delta').map((e) => e.text).join('')).toBe('The user wants the README.');
    expect(events.filter((e) => e.type === 'text_delta').map((e) => e.text).join('')).toBe('Let me read it.');
    expect(events.filter((e) => e.type !== 'thinking_delta' && e.type !== 'text_delta')).toEqual([
      { type: 'thinking_block', block: { text: 'The user wants the README.', signature: 'sig-1' } },
      { type: 'tool_call', call: { id: 'toolu_1', name: 'read_file', args: { path: 'README.md' } } },
      { type: 'usage', usage: { inputTokens: 3000, outputTokens: 150, cacheReadTokens: 1000 } },
      { type: 'done', stopReason: 'tool_use' },
    ]);
    expect(records).toEqual([
      expect.objectContaining({
        provider: 'anthropic', model: 'claude-sonnet-4-20250514', input_tokens: 3000, output_tokens: 150, cache_read_tokens: 1000,
        cost_usd: (2000 * 3 + 1000 * 0.3 + 150 * 15) / 1_000_000, cost_known: true, stop_reason: 'tool_use', tool_call_count: 1,
      }),
    ]);
  });

  it('sends the key, the API version and a Messages body, and returns tool results as tool_result blocks', async () => {
    server.enqueue(
      anthropicStream({ thinking: 'hm', signature: 'sig-2', toolUses: [{ id: 'toolu_9', name: 'read_file', input: '{"path":"a.md"}' }] }),
      anthropicStream({ text: 'It says hello.', usage: { input_tokens: 10, output_tokens: 4 } }),
    );
    const llm = registry();
    const first = await llm.complete(request);
    const second = await llm.complete({
      ...request,
      messages: [...request.messages, first.message, { role: 'tool', toolCallId: 'toolu_9', content: 'hello' }],
    });
    expect(second).toMatchObject({ text: 'It says hello.', stopReason: 'end_turn' });

    const [one, two] = server.requests;
    expect(one?.path).toBe('/v1/messages');
    expect(one?.headers['x-api-key']).toBe('ak-test');
    expect(one?.headers['anthropic-version']).toBe('2023-06-01');
    expect(one?.body).toEqual({
      model: 'claude-sonnet-4-20250514',
      max_tokens: 1024 + 4096,
      system: 'You are careful.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in README.md?' }] }],
      tools: [{ name: 'read_file', description: 'Read a file', input_schema: request.tools?.[0]?.parameters }],
      thinking: { type: 'enabled', budget_tokens: 1024 },
      stream: true,
    });
    expect((two?.body as { messages: unknown[] }).messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: [{ type: 'thinking', thinking: 'hm', signature: 'sig-2' }, { type: 'tool_use', id: 'toolu_9', name: 'read_file', input: { path: 'a.md' } }],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: 'hello' }] },
    ]);
  });

  it('surfaces an error event sent mid-stream as an error, without retrying', async () => {
    server.enqueue(anthropicStream({ text: 'Starting', error: { type: 'overloaded_error', message: 'Overloaded' } }), anthropicStream({ text: 'unused' }));
    await expect(registry().complete(request)).rejects.toMatchObject({
      code: 'unavailable', reason: 'unavailable', message: 'anthropic stream failed: overloaded_error: Overloaded',
    });
    expect(server.requests).toHaveLength(1);
    expect(records[0]).toMatchObject({ stop_reason: 'error' });
  });

  it('fails a 401 at once with a message naming the provider', async () => {
    server.enqueue(anthropicError(401, 'authentication_error', 'invalid x-api-key'));
    await expect(registry().complete(request)).rejects.toMatchObject({
      reason: 'auth', retryable: false, message: 'anthropic rejected the API key (401): invalid x-api-key',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 529 overload and honours Retry-After in seconds', async () => {
    server.enqueue(anthropicError(529, 'overloaded_error', 'Overloaded', { 'retry-after': '0' }), anthropicStream({ text: 'ok' }));
    expect((await registry().complete(request)).text).toBe('ok');
    expect(server.requests).toHaveLength(2);
  });

  it('closes the connection when the caller aborts mid-stream', async () => {
    server.enqueue(anthropicStream({ text: ['one ', 'two ', 'three'], then: 'hang' }));
    const controller = new AbortController();
    const run = (async () => {
      for await (const event of registry().stream(request, { signal: controller.signal })) {
        if (event.type === 'text_delta') controller.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ reason: 'aborted', code: 'cancelled' });
    await server.waitForClientClose(0);
  });
});
