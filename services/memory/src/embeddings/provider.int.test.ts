import { testing } from '@cadre/llm';
import { createOpenAiEmbeddings } from './provider';

// The OpenAI-compatible embeddings client against a scripted server speaking the wire protocol.

describe('OpenAI-compatible embeddings', () => {
  let server: testing.ScriptedServer;
  beforeEach(async () => {
    server = await testing.startScriptedServer();
  });
  afterEach(async () => {
    await server.close();
  });
  const vectors = (inputs: string[]) => inputs.map((text, index) => ({ index, embedding: [text.length, index, 1] }));
  const ok = (inputs: string[]): testing.ScriptedResponse => ({ kind: 'json', status: 200, body: { data: vectors(inputs).reverse() } });
  const fast = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 1000 };

  it('sends texts in batches with the model and key, and puts vectors back in input order', async () => {
    server.respondWith((request) => ok((request.body as { input: string[] }).input));
    const provider = createOpenAiEmbeddings({ baseUrl: `${server.url}/v1/`, model: 'm-1', apiKey: 'sk-secret', dimensions: 3, batchSize: 2 });
    const out = await provider.embed(['a', 'bb', 'ccc', 'dddd', 'eeeee']);
    expect(out.map((v) => Array.from(v))).toEqual([[1, 0, 1], [2, 1, 1], [3, 0, 1], [4, 1, 1], [5, 0, 1]]);
    expect(server.requests.map((r) => (r.body as { input: string[] }).input)).toEqual([['a', 'bb'], ['ccc', 'dddd'], ['eeeee']]);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/v1/embeddings', body: { model: 'm-1', dimensions: 3 }, headers: { authorization: 'Bearer sk-secret' } });
  });

  it('retries a 429 (after its Retry-After) and a 503, then answers', async () => {
    server.enqueue(
      { kind: 'json', status: 429, headers: { 'retry-after': '0' }, body: { error: { message: 'slow down' } } },
      { kind: 'json', status: 503, body: { error: { message: 'overloaded' } } },
      ok(['x']),
    );
    const provider = createOpenAiEmbeddings({ baseUrl: `${server.url}/v1`, model: 'm', retry: fast });
    expect((await provider.embed(['x'])).map((v) => Array.from(v))).toEqual([[1, 0, 1]]);
    expect(server.requests).toHaveLength(3);
  });

  it('fails without retrying a refusal, and never shows the key in the error', async () => {
    server.enqueue({ kind: 'json', status: 401, body: { error: { message: 'bad key sk-secret' } } });
    const provider = createOpenAiEmbeddings({ baseUrl: `${server.url}/v1`, model: 'm', apiKey: 'sk-secret', retry: fast });
    const error = await provider.embed(['x']).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/401/);
    expect((error as Error).message).not.toContain('sk-secret');
    expect(server.requests).toHaveLength(1);
  });

  it('refuses an answer with the wrong number of vectors or mixed lengths', async () => {
    server.enqueue({ kind: 'json', status: 200, body: { data: [{ index: 0, embedding: [1] }] } });
    const provider = createOpenAiEmbeddings({ baseUrl: `${server.url}/v1`, model: 'm', retry: fast });
    await expect(provider.embed(['a', 'b'])).rejects.toThrow(/1 vectors for 2 texts/);
    server.enqueue({ kind: 'json', status: 200, body: { data: [{ index: 0, embedding: [1, 2] }, { index: 1, embedding: [1] }] } });
    await expect(provider.embed(['a', 'b'])).rejects.toThrow(/different lengths/);
  });
});
