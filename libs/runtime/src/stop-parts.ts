import type { Pool } from 'pg';
import type { Logger } from '@cadre/logging';

/** A part a process stops at its end, after its services' work (a pool, a store, a server). */
export interface StoppablePart {
  /** How the logs name it ("database pool", "embedded Postgres"). */
  readonly name: string;
  stop(): Promise<void>;
  /** What the part can say of itself while it is slow to stop (e.g. its clients still out). */
  readonly state?: () => Record<string, unknown>;
}

/** After this long a part still stopping is named in the log. */
export const SLOW_STOP_MS = 5_000;

/**
 * Stops the parts one after another, in the order given: a failure is logged and the next part
 * still stopped. A part that takes longer than `slowMs` is named in a warning (with its state),
 * and again each `slowMs` after, so a stop that waits says on what rather than going quiet
 * until the process's grace period runs out.
 */
export async function stopInOrder(parts: readonly StoppablePart[], logger: Logger, slowMs = SLOW_STOP_MS): Promise<void> {
  for (const part of parts) {
    const began = Date.now();
    const slow = setInterval(() => {
      logger.warn({ part: part.name, waitedMs: Date.now() - began, ...part.state?.() }, 'still stopping');
    }, slowMs);
    try {
      await part.stop();
    } catch (err) {
      logger.error({ err, part: part.name }, 'stopping failed');
    } finally {
      clearInterval(slow);
    }
  }
}

/** A pool as a part to stop, with the clients its end still waits for. */
export function poolPart(pool: Pool, name = 'database pool'): StoppablePart {
  return { name, stop: () => pool.end(), state: () => ({ clientsOut: pool.totalCount - pool.idleCount, waiting: pool.waitingCount }) };
}
