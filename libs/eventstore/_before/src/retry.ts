import { ConcurrencyError } from '@cadre/proto';

export interface RetryOptions {
  /** Tries in all, the first included (default 10). */
  readonly attempts?: number;
  /** Base of the jittered exponential pause between tries (default 5 ms). */
  readonly backoffMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn` again while it fails with a ConcurrencyError, re-reading state on each try (the
 * caller's `fn` must re-read). Other errors and the last conflict are rethrown.
 */
export async function withConcurrencyRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 10);
  const backoffMs = options.backoffMs ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= attempts) throw error;
      // Jitter spreads the losers of one race so they do not collide again in lockstep.
      const cap = backoffMs * 2 ** Math.min(attempt - 1, 8);
      await sleep(Math.random() * cap);
    }
  }
}
