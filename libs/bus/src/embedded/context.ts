import type { Subscription } from '../types';
import type { Db } from './db';
import type { Hub } from './hub';
import type { BusLogger } from '../logger';
import type { PendingRemoval } from './events/acks';
import type { PendingPublish } from './events/publish';
import type { PendingCompletion, PendingEnqueue } from './jobs/grouped';

/** What the parts of one bus share. */
export interface BusContext {
  readonly db: Db;
  readonly hub: Hub;
  readonly logger: BusLogger;
  /** Safety poll of the loops, in case a wake-up from another process was missed. */
  readonly pollMs: number;
  /**
   * Throws UnavailableError once the bus is draining or closed: no new services, consumers or
   * workers then. Other calls go on while it drains (handlers in flight may still publish and
   * ack) and fail once the pool is closed.
   */
  assertAccepting(what: string): void;
  /** Registers a subscription so drain stops it; returns the unregister function. */
  track(subscription: Subscription): () => void;
  /** Publishes to the stream, grouped (groupedPublishes). */
  readonly publishes: (publish: PendingPublish) => void;
  /** Acks and terms, grouped (groupedRemovals). */
  readonly removals: (removal: PendingRemoval) => void;
  /** Jobs enqueued, grouped (groupedEnqueues). */
  readonly enqueues: (enqueue: PendingEnqueue) => void;
  /** Jobs done, grouped (groupedCompletions). */
  readonly completions: (completion: PendingCompletion) => void;
}

/** Backoff for a loop whose database calls fail: 100 ms doubling to 2 s. */
export function retryDelay(failures: number): number {
  return Math.min(100 * 2 ** Math.max(0, failures - 1), 2_000);
}

/**
 * A Subscription around a loop: stop aborts it and waits for it; closed resolves when it ends.
 * Resolves once the loop reports its first round done (or ended), so that, as with NATS
 * where the pull request is on the wire before the call returns, a consumer or worker started
 * first also claims first.
 */
export async function loopSubscription(ctx: BusContext, run: (signal: AbortSignal, ready: () => void) => Promise<void>): Promise<Subscription> {
  const stopper = new AbortController();
  let ready: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const closed = run(stopper.signal, ready)
    .catch((error: unknown) => ctx.logger.error({ err: error }, 'embedded bus: subscription loop failed'))
    .finally(() => untrack());
  const subscription: Subscription = {
    closed,
    stop: async () => {
      stopper.abort();
      await closed;
    },
  };
  const untrack = ctx.track(subscription);
  await Promise.race([started, closed]);
  return subscription;
}
