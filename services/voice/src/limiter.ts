import type { Pool, PoolClient } from 'pg';
import { CancelledError, RateLimitedError } from '@cadre/proto';

/** A held slot; `release` gives it back (once). */
export type Release = () => Promise<void>;

export interface SlotLimiter {
  /** Waits for one of `limit` slots shared by every replica on the database; 429 after `waitMs`. */
  acquire(limit: number, signal: AbortSignal): Promise<Release>;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> => new Promise((resolve, reject) => {
  const timer = setTimeout(() => {
    signal.removeEventListener('abort', onAbort);
    resolve();
  }, ms);
  const onAbort = (): void => {
    clearTimeout(timer);
    reject(new CancelledError('cancelled while waiting for a synthesis slot'));
  };
  signal.addEventListener('abort', onAbort, { once: true });
});

/**
 * A semaphore across replicas made of Postgres session advisory locks: slot `i` is the lock
 * (`hashtext(name)`, i). A replica holds a connection per slot it holds; a replica that dies
 * loses its connection and so its slots at once. Waiters hold no connection: they try the slots,
 * then sleep a short, growing, jittered while.
 */
export function createSlotLimiter(pool: Pool, name: string, waitMs: number): SlotLimiter {
  return {
    async acquire(limit, signal) {
      const deadline = Date.now() + waitMs;
      let pause = 5;
      for (;;) {
        if (signal.aborted) throw new CancelledError('cancelled while waiting for a synthesis slot');
        const client: PoolClient = await pool.connect();
        let held: number | undefined;
        try {
          for (let slot = 0; slot < limit && held === undefined; slot++) {
            const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1), $2) as ok', [name, slot]);
            if (rows[0]?.ok) held = slot;
          }
        } catch (error) {
          client.release(true);
          throw error;
        }
        if (held !== undefined) {
          const slot = held;
          let released = false;
          return async () => {
            if (released) return;
            released = true;
            try {
              await client.query('select pg_advisory_unlock(hashtext($1), $2)', [name, slot]);
              client.release();
            } catch {
              // A broken connection loses its locks with it.
              client.release(true);
            }
          };
        }
        client.release();
        if (Date.now() >= deadline) {
          throw new RateLimitedError(`all ${limit} synthesis slots stayed busy for ${waitMs} ms`, { retry_after_seconds: 1 });
        }
        await sleep(pause + Math.random() * pause, signal);
        pause = Math.min(pause * 2, 100);
      }
    },
  };
}
