import type { Bus, Subscription } from '@cadre/bus';
import type { EventStore } from '@cadre/eventstore';
import type { Logger } from '@cadre/logging';
import type { Reader } from './reader';
import type { IdentityView, ViewEvent } from './view';

export interface FollowOptions {
  readonly bus: Bus;
  readonly store: Pick<EventStore, 'iterateAll'>;
  readonly view: IdentityView;
  readonly reader: Reader;
  readonly logger: Logger;
  /** Pause before following again after the bus ended the replay (default 1 s). */
  readonly restartDelayMs?: number;
}

const FILTER = 'evt.identity.>';

/**
 * Keeps this replica's view current: first every event already in the store, then the live
 * identity events from the bus. The bus position is taken *before* reading the store, so an
 * event committed after that read is published after it and cannot fall in between; events
 * seen twice count once (the view tracks stream versions).
 */
export async function followIdentityEvents(options: FollowOptions): Promise<Subscription> {
  const { bus, store, view, reader, logger } = options;
  let stopped = false;
  let current: Subscription | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => { resolveClosed = resolve; });

  const heal = (stream: string): void => {
    reader.catchUp(stream).catch((err: unknown) => logger.warn({ err, stream }, 'catch-up of identity stream failed'));
  };

  const start = async (): Promise<void> => {
    const fromSeq = (await bus.events.lastSeq()) + 1;
    const gaps = new Set<string>();
    for await (const record of store.iterateAll()) {
      if (view.apply(record.event) === 'gap') gaps.add(record.event.stream);
    }
    await Promise.all([...gaps].map((stream) => reader.catchUp(stream)));
    current = await bus.events.replay({ fromSeq, filterSubject: FILTER }, (message) => {
      // A throwing handler would end the replay; a bad message is logged and passed over.
      try {
        const event = message.json<ViewEvent>();
        if (view.apply(event) === 'gap') heal(event.stream);
      } catch (err) {
        logger.error({ err, seq: message.seq }, 'identity event could not be applied');
      }
    });
    void current.closed.then(() => {
      if (stopped) return;
      logger.warn('identity event replay ended; following again');
      setTimeout(() => void restart(), options.restartDelayMs ?? 1_000).unref();
    });
  };

  const restart = async (): Promise<void> => {
    while (!stopped) {
      try {
        await start();
        return;
      } catch (err) {
        logger.warn({ err }, 'following identity events failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, options.restartDelayMs ?? 1_000).unref());
      }
    }
  };

  await start();
  return {
    closed,
    async stop() {
      stopped = true;
      await current?.stop();
      resolveClosed();
    },
  };
}
