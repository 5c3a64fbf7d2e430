import { ValidationError } from '@cadre/proto';

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Exponential backoff with a cap and some jitter, for retry loops. */
export function backoffMs(attempt: number, baseMs = 250, capMs = 10_000): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(exp * (0.8 + Math.random() * 0.4));
}

/** The longest a consumer may linger before it takes what came (ConsumerOptions.lingerMs). */
const MAX_LINGER_MS = 60_000;

/** ConsumerOptions.lingerMs checked, with its default (0); the same rule on both transports. */
export function lingerOf(lingerMs: number | undefined): number {
  const value = lingerMs ?? 0;
  if (!Number.isFinite(value) || value < 0 || value > MAX_LINGER_MS) {
    throw new ValidationError(`lingerMs must be between 0 and ${MAX_LINGER_MS}`, { lingerMs });
  }
  return value;
}
