import { backoffDelay, parseRetryAfter } from '@cadre/llm';
import { CancelledError, DomainError, defineErrorCode } from '@cadre/proto';

/** An upstream refused the request (4xx other than 408/429): retrying would not help. */
export const upstreamRejected = defineErrorCode('upstream_rejected', { kind: 'unprocessable' });
/** An upstream kept failing (5xx, 429, timeouts, network) through every attempt. */
export const upstreamFailed = defineErrorCode('upstream_failed', { kind: 'unprocessable' });

export interface UpstreamOptions {
  readonly provider: string;
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Keys to cut out of any upstream text before it is stored, logged or answered. */
  readonly secrets: readonly string[];
}

/** Cuts credentials out of upstream text: the configured keys and anything shaped like a bearer token or an API key. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out
    .replace(/(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1[redacted]')
    .replace(/\b(sk|pk|fa|key)[-_][A-Za-z0-9_-]{8,}\b/gi, '[redacted]');
}

const wait = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
  const timer = setTimeout(() => {
    signal?.removeEventListener('abort', onAbort);
    resolve();
  }, ms);
  const onAbort = (): void => {
    clearTimeout(timer);
    reject(new CancelledError('cancelled'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
});

const retryable = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/**
 * One call to an upstream API with retries: 5xx, 408, 429 and network errors are tried again
 * (exponential backoff, `Retry-After` honoured up to 10 s), other statuses fail at once. Errors
 * name the provider and the status, with the upstream's text redacted of credentials.
 */
export async function upstream(url: string, init: RequestInit, options: UpstreamOptions): Promise<Response> {
  let last = '';
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    if (options.signal?.aborted) throw new CancelledError(`${options.provider} call cancelled`);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    let delayMs: number | undefined;
    try {
      const response = await fetch(url, { ...init, signal: controller.signal });
      if (response.ok) {
        // The body is read by the caller: keep the timeout running until then is not needed for audio of bounded size.
        const body = Buffer.from(await response.arrayBuffer());
        return new Response(body, { status: response.status, headers: response.headers });
      }
      const text = redact((await response.text().catch(() => '')).slice(0, 500), options.secrets);
      last = `${response.status}${text ? `: ${text}` : ''}`;
      if (!retryable(response.status)) {
        throw new DomainError(upstreamRejected, `${options.provider} rejected the request (${last})`, { provider: options.provider, status: response.status });
      }
      delayMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    } catch (error) {
      if (error instanceof DomainError) throw error;
      if (options.signal?.aborted) throw new CancelledError(`${options.provider} call cancelled`);
      last = redact(error instanceof Error ? `${error.message}${(error as { cause?: { code?: string } }).cause?.code ? ` (${(error as { cause: { code: string } }).cause.code})` : ''}` : String(error), options.secrets);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
    if (attempt < options.attempts) {
      const policy = { maxAttempts: options.attempts, baseDelayMs: options.baseDelayMs, maxDelayMs: 10_000, maxRetryAfterMs: 10_000 };
      await wait(Math.min(delayMs ?? backoffDelay(attempt, policy), 10_000), options.signal);
    }
  }
  throw new DomainError(upstreamFailed, `${options.provider} failed after ${options.attempts} attempts (last: ${last})`, { provider: options.provider, attempts: options.attempts });
}
