import type { Pool } from 'pg';
import type { Bus, Subscription } from '@cadre/bus';
import type { RelayLogger } from '../relay/options';
import { silentLogger } from '../relay/options';
import type { EventStore } from '../types';
import { subjectFilterFor } from './decode';
import type { ProjectionDefinition } from './define';
import { runProjectionFromBus } from './from-bus';
import { createProjection, type Projection } from './projection';

/** Where a projection feeds from: the durable consumer and its filter. */
export interface ProjectionFeed {
  /** Durable consumer the replicas share (default `<schema>-<name>`, the name's `_` as `-`). */
  readonly durable?: string;
  /** Subject filter (default the narrowest one covering the event types). */
  readonly filterSubject?: string;
  readonly ackWaitMs?: number;
  /**
   * For a read model nobody waits on, or one its writers keep current themselves: how long the
   * consumer lets events gather before it takes them (ConsumerOptions.lingerMs; default 0).
   */
  readonly lingerMs?: number;
}

export interface RunProjectionOptions extends ProjectionFeed {
  /** The pool of the service's database, where the rows and the checkpoint are written. */
  readonly pool: Pool;
  /** The schema of the checkpoints table (the service's). */
  readonly schema: string;
  /** The store a new projection is built from; its registry upcasts what the bus delivers too. */
  readonly store: Pick<EventStore, 'iterateAll' | 'registry'>;
  readonly bus: Pick<Bus, 'events'>;
  readonly logger?: RelayLogger;
}

/** A running projection: the worker to stop, and the projection it feeds. */
export type RunningProjection<DB> = Subscription & { readonly projection: Projection<DB> };

/**
 * Runs a projection: a new one (no checkpoint, no durable consumer yet) is first built from
 * the store, and one whose checkpoint is past the end of the bus's stream (the stream was
 * made again) is rebuilt; then it follows its durable consumer from its checkpoint on. The
 * rebuild reads the bus's last sequence before the store, so nothing published falls in between;
 * events committed while the store is read come again from the bus (`apply` is idempotent).
 */
export async function runProjection<DB>(definition: ProjectionDefinition<DB>, options: RunProjectionOptions): Promise<RunningProjection<DB>> {
  const { store, bus } = options;
  const logger = options.logger ?? silentLogger;
  const durable = options.durable ?? `${options.schema}-${definition.name.replace(/_/g, '-')}`;
  const filterSubject = options.filterSubject ?? subjectFilterFor(definition.events, store.registry);
  const projection = await createProjection<DB>({ ...definition, pool: options.pool, schema: options.schema });

  const [lastSeq, checkpoint, consumer] = await Promise.all([bus.events.lastSeq(), projection.checkpoint(), bus.events.consumerLag(durable)]);
  const isNew = checkpoint === undefined && consumer === undefined;
  if (isNew || (checkpoint ?? 0) > lastSeq) {
    const rebuilt = await projection.rebuild(store.iterateAll(), { position: lastSeq, expect: checkpoint ?? 0 });
    if (rebuilt.rebuilt) {
      logger.info({ projection: definition.name, events: rebuilt.applied, position: rebuilt.position, reason: isNew ? 'new' : 'stream replaced' }, 'projection built from the event store');
    }
  }
  const subscription = await runProjectionFromBus(projection, bus, {
    durable, filterSubject, registry: store.registry, logger,
    // Where a new durable consumer starts; one that exists goes on from its own position.
    deliverFrom: { kind: 'sequence', seq: (await projection.position()) + 1 },
    ...(options.ackWaitMs !== undefined ? { ackWaitMs: options.ackWaitMs } : {}),
    ...(options.lingerMs !== undefined ? { lingerMs: options.lingerMs } : {}),
  });
  return { ...subscription, projection };
}
