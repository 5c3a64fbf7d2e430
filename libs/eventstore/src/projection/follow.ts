import type { Bus, Subscription } from '@cadre/bus';
import type { RelayLogger } from '../relay/options';
import { silentLogger } from '../relay/options';
import type { EventStore } from '../types';
import { decodeEvent, subjectFilterFor } from './decode';
import type { InMemoryProjection } from './define';

export interface FollowOptions {
  /** The store the projection is built from; its registry upcasts what the bus delivers too. */
  readonly store: Pick<EventStore, 'iterateAll' | 'registry'>;
  readonly bus: Pick<Bus, 'events'>;
  readonly logger?: RelayLogger;
  /** Subject filter (default the narrowest one covering the event types). */
  readonly filterSubject?: string;
  /** Pause before following again after the bus ended the replay, or after a failure (default 1 s). */
  readonly restartDelayMs?: number;
}

/** A followed in-memory projection: the worker to stop, and the bus sequence it has reached. */
export type FollowedProjection = Subscription & { position(): number };

/**
 * Keeps an in-memory projection of this replica: every event already in the store, then the
 * live ones from the bus, each upcast (the store's reads upcast; bus messages go through the
 * same registry). The bus's last sequence is read *before* the store, so an event committed
 * after that read is published after it and cannot fall in between. Should the replay end, it
 * goes on from the sequence it reached (after reading the store again if the stream was made
 * anew). A message that is not an envelope, or that `apply` throws on, is logged and passed over.
 */
export async function followProjection(projection: InMemoryProjection, options: FollowOptions): Promise<FollowedProjection> {
  const { store, bus } = options;
  const logger = options.logger ?? silentLogger;
  const delayMs = options.restartDelayMs ?? 1_000;
  const handles = new Set(projection.events);
  const filterSubject = options.filterSubject ?? subjectFilterFor(projection.events, store.registry);
  let position = 0;
  let built = false;
  let stopped = false;
  let current: Subscription | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => { resolveClosed = resolve; });

  const readStore = async (): Promise<void> => {
    const upTo = await bus.events.lastSeq();
    for await (const { event } of store.iterateAll()) {
      if (handles.has(event.type)) projection.apply(event);
    }
    await projection.caughtUp?.();
    position = upTo;
    built = true;
  };

  const start = async (): Promise<void> => {
    if (!built || (await bus.events.lastSeq()) < position) await readStore();
    current = await bus.events.replay({ fromSeq: position + 1, filterSubject }, (message) => {
      // A throwing handler would end the replay; a bad message is logged and passed over.
      const event = decodeEvent(message, store.registry);
      if (event === undefined) {
        logger.error({ seq: message.seq, subject: message.subject, projection: projection.name }, 'projection skipped a malformed event');
      } else if (handles.has(event.type)) {
        try {
          projection.apply(event);
        } catch (err) {
          logger.error({ err, seq: message.seq, projection: projection.name }, 'projection could not apply an event');
        }
      }
      position = message.seq;
    });
    void current.closed.then(() => {
      if (stopped) return;
      logger.warn({ projection: projection.name }, 'projection replay ended; following again');
      setTimeout(() => void restart(), delayMs).unref();
    });
  };

  const restart = async (): Promise<void> => {
    while (!stopped) {
      try {
        await start();
        return;
      } catch (err) {
        logger.warn({ err, projection: projection.name }, 'following the projection failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      }
    }
  };

  await start();
  return {
    closed,
    position: () => position,
    async stop() {
      stopped = true;
      await current?.stop();
      resolveClosed();
    },
  };
}
