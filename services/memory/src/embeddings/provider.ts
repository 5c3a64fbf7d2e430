import { z } from 'zod';
import { backoffDelay, parseRetryAfter, DEFAULT_RETRY_POLICY, type RetryPolicy } from '@cadre/llm';
import { UnavailableError } from '@cadre/proto';

/** Turns texts into vectors; `model` is stored beside each vector so vectors of different models are never compared. */
export interface EmbeddingProvider {
  readonly model: string;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

export interface OpenAiEmbeddingsOptions {
  /** Up to and including the version path, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. */
  readonly baseUrl: string;
  readonly model: string;
  readonly apiKey?: string;
  /** Asked of models that can shorten their vectors (0 or absent: the model's own). */
  readonly dimensions?: number;
  /** Texts per request. */
  readonly batchSize?: number;
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
  readonly fetch?: typeof fetch;
}

const EmbeddingsReply = z.object({
  data: z.array(z.object({ embedding: z.array(z.number()), index: z.number().int().nonnegative().optional() })),
});

/** An upstream's error text, bounded and without the key. */
function redact(text: string, key: string | undefined): string {
  const bounded = text.slice(0, 300);
  return key ? bounded.split(key).join('***') : bounded;
}

const RETRYABLE = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;

/**
 * The OpenAI-compatible `POST /embeddings` (OpenAI, Ollama, vLLM, llama.cpp, TEI, LiteLLM…):
 * texts are sent `batchSize` at a time; a 429, a 5xx or a broken connection is retried with
 * backoff (honouring Retry-After); vectors come back in input order whatever order the server
 * lists them in; every vector of one call must have the same length.
 */
export function createOpenAiEmbeddings(options: OpenAiEmbeddingsOptions): EmbeddingProvider {
  const base = options.baseUrl.replace(/\/+$/, '');
  const batchSize = options.batchSize ?? 64;
  const policy = options.retry ?? { ...DEFAULT_RETRY_POLICY, maxAttempts: 3, baseDelayMs: 200 };
  const doFetch = options.fetch ?? fetch;

  async function embedBatch(texts: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    let lastError = '';
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const response = await doFetch(`${base}/embeddings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
          body: JSON.stringify({ model: options.model, input: texts, encoding_format: 'float', ...(options.dimensions ? { dimensions: options.dimensions } : {}) }),
          signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 15_000), ...(signal ? [signal] : [])]),
        });
        if (!response.ok) {
          lastError = `HTTP ${response.status}: ${redact(await response.text().catch(() => ''), options.apiKey)}`;
          if (!RETRYABLE(response.status)) throw new UnavailableError(`embeddings provider refused the request (${lastError})`);
          retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
        } else {
          const parsed = EmbeddingsReply.safeParse(await response.json());
          if (!parsed.success) throw new UnavailableError('embeddings provider answered with no list of vectors');
          const rows = parsed.data.data;
          if (rows.length !== texts.length) throw new UnavailableError(`embeddings provider answered ${rows.length} vectors for ${texts.length} texts`);
          const ordered = rows.every((row) => row.index !== undefined) ? [...rows].sort((a, b) => a.index! - b.index!) : rows;
          const dims = ordered[0]!.embedding.length;
          if (dims === 0 || ordered.some((row) => row.embedding.length !== dims)) throw new UnavailableError('embeddings provider answered vectors of different lengths');
          return ordered.map((row) => Float32Array.from(row.embedding));
        }
      } catch (error) {
        if (signal?.aborted) throw error;
        if (error instanceof UnavailableError) throw error;
        lastError = redact(error instanceof Error ? error.message : String(error), options.apiKey);
      }
      if (attempt < policy.maxAttempts) {
        const wait = Math.max(retryAfterMs ?? 0, backoffDelay(attempt, policy));
        await new Promise((resolve) => setTimeout(resolve, Math.min(wait, policy.maxDelayMs)));
      }
    }
    throw new UnavailableError(`embeddings provider failed after ${policy.maxAttempts} attempts (${lastError})`);
  }

  return {
    model: options.model,
    async embed(texts, signal) {
      const vectors: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) vectors.push(...(await embedBatch(texts.slice(i, i + batchSize), signal)));
      return vectors;
    },
  };
}

/** The vector scaled to length 1 (cosine similarity becomes a dot product); a zero vector stays zero. */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm === 0) return vector;
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! / norm;
  return out;
}

/** What a memory is embedded from. */
export const embeddingText = (title: string, body: string): string => `${title}\n\n${body}`.slice(0, 8_000);
