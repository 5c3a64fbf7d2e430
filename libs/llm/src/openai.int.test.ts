import { LlmError, isAbortError } from './errors';
import { createLlmRegistry } from './registry';
import type { LlmSettings, ProviderSettings } from './settings';
import { openAiError, openAiStream, startScriptedServer, type ScriptedResponse, type ScriptedServer } from './testing';
import type { LlmCallRecord, LlmRequest, LlmStreamEvent } from './types';

const request: LlmRequest = {
  model: 'openai/gpt-4o-mini',
  system: 'You are terse.',
  messages: [{ role: 'user', content: 'Say hello.' }],
  tools: [{ name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }],
  temperature: 0.2,
  maxTokens: 256,
};

describe('OpenAI-compatible provider against a scripted server', () => {
  let server: ScriptedServer;
  let records: LlmCallRecord[];

  beforeEach(async () => {
    server = await startScriptedServer();
    records = [];
  });
  afterEach(() => server.close());

  function registry(provider: Partial<ProviderSettings> = {}, extra: Partial<LlmSettings> = {}) {
    return createLlmRegistry(
      { providers: { openai: { base_url: `${server.url}/v1`, api_key: 'sk-test', ...provider } }, retry: { base_delay_ms: 20 }, ...extra },
      { onCall: (record) => records.push(record) },
    );
  }

  it('streams text, reports usage and prices the call from the table', async () => {
    server.enqueue(openAiStream({ text: 'Hello there, dear world.', usage: { prompt_tokens: 1200, completion_tokens: 300 } }));
    const events: LlmStreamEvent[] = [];
    for await (const event of registry().stream(request)) events.push(event);

    const deltas = events.filter((e) => e.type === 'text_delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((e) => e.text).join('')).toBe('Hello there, dear world.');
    expect(events.slice(-2)).toEqual([
      { type: 'usage', usage: { inputTokens: 1200, outputTokens: 300 } },
      { type: 'done', stopReason: 'end_turn' },
    ]);
    expect(records).toEqual([
      expect.objectContaining({
        provider: 'openai', model: 'gpt-4o-mini', input_tokens: 1200, output_tokens: 300, stop_reason: 'end_turn', cost_known: true,
        cost_usd: (1200 * 0.15 + 300 * 0.6) / 1_000_000,
      }),
    ]);
    expect(records[0]?.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('sends the bare model, the messages, the tools in OpenAI form and asks for usage', async () => {
    server.enqueue(openAiStream({ text: 'ok' }));
    await registry().complete(request);
    const [received] = server.requests;
    expect(received).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(received?.headers.authorization).toBe('Bearer sk-test');
    expect(received?.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello.' }],
      tools: [{ type: 'function', function: { name: 'read_file', description: 'Read a file', parameters: request.tools?.[0]?.parameters } }],
      temperature: 0.2,
      max_tokens: 256,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('keeps the connection for the next call once an answer is whole', async () => {
    // The body ends a little after [DONE], as it may over a real network.
    const lateEnd = (text: string): ScriptedResponse => {
      const response = openAiStream({ text });
      return response.kind === 'sse' ? { ...response, frames: [...response.frames, { raw: '', delayMs: 30 }] } : response;
    };
    server.enqueue(lateEnd('one'), lateEnd('two'));
    const llm = registry();
    expect((await llm.complete(request)).text).toBe('one');
    // The pool takes the connection back a moment after the body ends.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await llm.complete(request)).text).toBe('two');
    expect(server.requests.map((r) => r.connection)).toEqual([1, 1]);
  });

  it('assembles a tool call whose arguments arrive split across chunks', async () => {
    server.enqueue(openAiStream({
      text: 'Reading.',
      toolCalls: [{ id: 'call_abc', name: 'read_file', args: ['{"pa', 'th": "src/', 'index.ts"}'] }],
      usage: { prompt_tokens: 50, completion_tokens: 20 },
    }));
    const result = await registry().complete(request);
    expect(result.toolCalls).toEqual([{ id: 'call_abc', name: 'read_file', args: { path: 'src/index.ts' } }]);
    expect(result.stopReason).toBe('tool_use');
    expect(result.message).toEqual({ role: 'assistant', content: 'Reading.', toolCalls: result.toolCalls });
    expect(records[0]).toMatchObject({ tool_call_count: 1, stop_reason: 'tool_use' });
  });

  it('waits for Retry-After after a 429, then succeeds', async () => {
    server.enqueue(openAiError(429, 'Rate limit reached', { 'retry-after': '1' }), openAiStream({ text: 'finally' }));
    const started = Date.now();
    const result = await registry().complete(request);
    expect(result.text).toBe('finally');
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('retries two 500s with backoff, then succeeds', async () => {
    server.enqueue(openAiError(500, 'boom'), openAiError(502, 'bad gateway'), openAiStream({ text: 'third time' }));
    expect((await registry().complete(request)).text).toBe('third time');
    expect(server.requests).toHaveLength(3);
  });

  it('gives up with a retryable error when the attempts run out', async () => {
    server.enqueue(openAiError(503, 'overloaded'), openAiError(503, 'overloaded'));
    const failure = registry({ max_attempts: 2 }).complete(request);
    await expect(failure).rejects.toMatchObject({ code: 'unavailable', retryable: true, message: 'openai is unavailable (503): overloaded (gave up after 2 attempts)' });
    expect(server.requests).toHaveLength(2);
  });

  it('does not wait for a Retry-After longer than the limit', async () => {
    server.enqueue(openAiError(429, 'quota', { 'retry-after': '3600' }));
    const failure = registry().complete(request);
    await expect(failure).rejects.toMatchObject({ code: 'rate_limited', details: expect.objectContaining({ retry_after_ms: 3_600_000 }) });
    expect(server.requests).toHaveLength(1);
  });

  it('fails a 401 at once with a clear, non-retryable error', async () => {
    server.enqueue(openAiError(401, 'Incorrect API key provided: sk-test.'));
    const failure = registry().complete(request);
    await expect(failure).rejects.toBeInstanceOf(LlmError);
    await expect(failure).rejects.toMatchObject({
      reason: 'auth', retryable: false, message: 'openai rejected the API key (401): Incorrect API key provided: sk-test.',
    });
    expect(server.requests).toHaveLength(1);
    expect(records).toEqual([expect.objectContaining({ stop_reason: 'error', input_tokens: 0, error: expect.objectContaining({ code: 'unprocessable' }) })]);
  });

  it('closes the connection when the caller aborts mid-stream', async () => {
    server.enqueue(openAiStream({ text: ['Once ', 'upon ', 'a time'], then: 'hang' }));
    const controller = new AbortController();
    const seen: string[] = [];
    const run = (async () => {
      for await (const event of registry().stream(request, { signal: controller.signal })) {
        if (event.type === 'text_delta') seen.push(event.text);
        if (seen.length === 2) controller.abort();
      }
    })();
    await expect(run).rejects.toMatchObject({ reason: 'aborted', code: 'cancelled' });
    expect(await run.catch(isAbortError)).toBe(true);
    await server.waitForClientClose(0);
    expect(server.requests[0]?.closedByClient).toBe(true);
    expect(records[0]).toMatchObject({ stop_reason: 'aborted' });
  });

  it('stops waiting to retry as soon as the caller aborts', async () => {
    server.enqueue(openAiError(429, 'slow down', { 'retry-after': '30' }));
    const controller = new AbortController();
    const failure = registry().complete(request, { signal: controller.signal });
    await server.waitForRequests(1);
    setTimeout(() => controller.abort(), 50);
    await expect(failure).rejects.toMatchObject({ reason: 'aborted', code: 'cancelled' });
    expect(server.requests).toHaveLength(1);
  });

  it('answers concurrent calls from a handler that reads each request', async () => {
    server.respondWith((received) => {
      const messages = (received.body as { messages: Array<{ content: string }> }).messages;
      return openAiStream({ text: `echo ${messages.at(-1)?.content ?? ''}`, usage: { prompt_tokens: 3, completion_tokens: 2 } });
    });
    const llm = registry();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => llm.complete({ ...request, messages: [{ role: 'user', content: `n${i}` }] })),
    );
    expect(answers.map((answer) => answer.text)).toEqual(Array.from({ length: 20 }, (_, i) => `echo n${i}`));
    expect(records).toHaveLength(20);
  });

  it('closes the connection when the consumer stops reading', async () => {
    server.enqueue(openAiStream({ text: ['a ', 'b ', 'c'], then: 'hang' }));
    for await (const event of registry().stream(request)) if (event.type === 'text_delta') break;
    await server.waitForClientClose(0);
    expect(records[0]).toMatchObject({ stop_reason: 'aborted' });
  });

  it('does not retry a stream cut after it started', async () => {
    server.enqueue(openAiStream({ text: 'half an ans', then: 'destroy' }), openAiStream({ text: 'never sent' }));
    await expect(registry().complete(request)).rejects.toMatchObject({ reason: 'unavailable', message: expect.stringMatching(/^openai stream/) });
    expect(server.requests).toHaveLength(1);
  });

  it('times out a server that sends no headers, and retries that', async () => {
    server.enqueue({ kind: 'json', status: 200, body: {}, delayMs: 400 }, { kind: 'json', status: 200, body: {}, delayMs: 400 });
    const failure = registry({ timeout_ms: 150, max_attempts: 2 }).complete(request);
    await expect(failure).rejects.toMatchObject({ code: 'timeout', message: 'openai did not answer within 150 ms (gave up after 2 attempts)' });
    expect(server.requests).toHaveLength(2);
  });

  it('times out a stream that goes silent, without retrying', async () => {
    server.enqueue(openAiStream({ text: 'and then', then: 'hang' }));
    const failure = registry({ idle_timeout_ms: 200 }).complete(request);
    await expect(failure).rejects.toMatchObject({ code: 'timeout', message: 'openai stream stalled: no data for 200 ms' });
    expect(server.requests).toHaveLength(1);
    await server.waitForClientClose(0);
  });

  it('reports an endpoint nobody listens on as unavailable', async () => {
    const gone = await startScriptedServer();
    await gone.close();
    const unreachable = createLlmRegistry({ providers: { vllm: { base_url: `${gone.url}/v1` } }, retry: { max_attempts: 2, base_delay_ms: 10 } });
    await expect(unreachable.complete({ ...request, model: 'vllm/qwen' })).rejects.toMatchObject({
      code: 'unavailable', message: expect.stringMatching(/^vllm could not be reached: .*ECONNREFUSED.*\(gave up after 2 attempts\)$/),
    });
  });
});
