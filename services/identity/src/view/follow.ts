import type { Bus, Subscription } from '@cadre/bus';
import { followProjection, type EventStore } from '@cadre/eventstore';
import type { Logger } from '@cadre/logging';
import { identityEventTypes } from '../events';
import type { Reader } from './reader';
import type { IdentityView } from './view';

export interface FollowOptions {
  readonly bus: Bus;
  /** The store the view is built from; its registry upcasts the events of the bus too. */
  readonly store: Pick<EventStore, 'iterateAll' | 'registry'>;
  readonly view: IdentityView;
  readonly reader: Reader;
  readonly logger: Logger;
  /** Pause before following again after the bus ended the replay (default 1 s). */
  readonly restartDelayMs?: number;
}

/**
 * Keeps this replica's view current, as an in-memory projection: first every event already in
 * the store, then the live identity events from the bus, each upcast to its current schema
 * version on either path. Events seen twice count once (the view tracks stream versions); a
 * stream whose earlier version the view missed is read again from the store.
 */
export function followIdentityEvents(options: FollowOptions): Promise<Subscription> {
  const { bus, store, view, reader, logger } = options;
  // Gaps met while reading the store are repaired once it has been read; later ones at once.
  const gaps = new Set<string>();
  let live = false;
  const heal = (stream: string): void => {
    reader.catchUp(stream).catch((err: unknown) => logger.warn({ err, stream }, 'catch-up of identity stream failed'));
  };
  return followProjection({
    name: 'identity_view',
    events: identityEventTypes,
    apply: (event) => {
      if (view.apply(event) !== 'gap') return;
      if (live) heal(event.stream);
      else gaps.add(event.stream);
    },
    caughtUp: async () => {
      const streams = [...gaps];
      gaps.clear();
      await Promise.all(streams.map((stream) => reader.catchUp(stream)));
      live = true;
    },
  }, { store, bus, logger, ...(options.restartDelayMs !== undefined ? { restartDelayMs: options.restartDelayMs } : {}) });
}
