import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import type { EventEnvelope } from '@cadre/proto';
import { assertSchemaName, openConnection, type ConnectionOptions } from '../connection';
import { toStoreError } from '../errors';
import { migrateEventStore } from '../migrate';
import type { RecordedEvent } from '../types';
import { findCheckpoint, lockCheckpoint, raiseCheckpoint, readCheckpoint, saveCheckpoint } from './checkpoint';
import type { ProjectionDefinition } from './define';

export type ProjectionOptions<DB> = ConnectionOptions & ProjectionDefinition<DB> & {
  /** Schema holding the checkpoints table (the owning service's schema). */
  readonly schema: string;
  /** Create the checkpoints table when missing (default true). */
  readonly migrate?: boolean;
};

export interface RebuildOptions<DB> {
  /** Empties the read model (default the definition's `reset`; without one the events are applied over the rows). */
  readonly reset?: (trx: Transaction<DB>) => Promise<void>;
  /**
   * The checkpoint to leave: the bus sequence the live feed goes on after, for a bus-fed
   * projection rebuilt from the store (default the position of the source's last event).
   */
  readonly position?: number;
  /**
   * Rebuild only if the checkpoint is still this when the rebuild holds it; otherwise (another
   * replica rebuilt first) change nothing (`rebuilt: false`).
   */
  readonly expect?: number;
}

export interface RebuildResult {
  /** False when the checkpoint was not the one expected, and nothing changed. */
  readonly rebuilt: boolean;
  /** Events applied. */
  readonly applied: number;
  /** The checkpoint now. */
  readonly position: number;
}

/** A read model kept by applying events exactly once, in position order. */
export interface Projection<DB = unknown> {
  readonly name: string;
  /** The event types it applies. */
  readonly events: readonly string[];
  /** Whether it takes events in any order (see ProjectionDefinition.orderFree). */
  readonly orderFree: boolean;
  /** Applies the event unless its position is at or below the checkpoint (in order); true when applied. */
  handle(event: EventEnvelope, position: number): Promise<boolean>;
  /** Applies several events in one transaction (those above the checkpoint); returns how many. */
  handleBatch(records: readonly RecordedEvent[]): Promise<number>;
  /** The last position stored, 0 before the first. */
  position(): Promise<number>;
  /** The position stored, undefined when none ever was (a new projection). */
  checkpoint(): Promise<number | undefined>;
  /** Stores the position of events passed over without a transaction, if it is above the stored one. */
  flush(): Promise<void>;
  /** Empties the read model and sets the checkpoint to 0, atomically. */
  reset(reset?: (trx: Transaction<DB>) => Promise<void>): Promise<void>;
  /**
   * In one transaction holding the checkpoint: empties the read model, applies every event of
   * `source` (e.g. `store.iterateAll()`, upcast) and stores the checkpoint. Readers see the old
   * model until it commits, and live handling of the projection waits for it.
   */
  rebuild(source: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>, options?: RebuildOptions<DB>): Promise<RebuildResult>;
  /** Ends the pool when the projection created it. */
  close(): Promise<void>;
}

/** Creates a projection whose updates and checkpoint commit together (idempotent on redelivery). */
export async function createProjection<DB = unknown>(options: ProjectionOptions<DB>): Promise<Projection<DB>> {
  const { name, schema, apply } = options;
  assertSchemaName(schema);
  if (options.events.length === 0) throw new Error(`projection ${name}: name at least one event type`);
  const handles = new Set(options.events);
  const { pool, ownsPool } = openConnection(options);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  if (options.migrate ?? true) await migrateEventStore(db, schema);
  // The highest position passed over without a transaction and not stored yet.
  let pending = 0;

  const orderFree = options.orderFree ?? false;
  if (options.applyMany !== undefined && !orderFree) throw new Error(`projection ${name}: applyMany is for an order-free projection`);
  const needsApplying = async (event: EventEnvelope): Promise<boolean> =>
    handles.has(event.type) && !((await options.alreadyApplied?.(event)) ?? false);

  const handleBatch = async (records: readonly RecordedEvent[]): Promise<number> => {
    if (records.length === 0) return 0;
    const highest = Math.max(...records.map((record) => record.position));
    const due: RecordedEvent[] = [];
    for (const record of records) if (await needsApplying(record.event)) due.push(record);
    if (due.length === 0) {
      pending = Math.max(pending, highest);
      return 0;
    }
    let outcome: { readonly applied: number; readonly saved: number };
    try {
      outcome = await db.transaction().execute(orderFree ? async (trx) => {
        // Every event given is applied, whatever the checkpoint: it is only raised (to the batch's
        // highest position, or that of events passed over before), in the statement that also
        // locks it — one round trip, and the replicas' batches still commit one at a time.
        const next = Math.max(highest, pending);
        await raiseCheckpoint(trx, schema, name, next);
        if (options.applyMany !== undefined && due.length > 1) await options.applyMany(due.map((record) => record.event), trx);
        else for (const { event, position: at } of due) await apply(event, trx, at);
        return { applied: due.length, saved: next };
      } : async (trx) => {
        const stored = await lockCheckpoint(trx, schema, name);
        let position = stored;
        let applied = 0;
        for (const { event, position: at } of due) {
          // In order, a position at or below the checkpoint was applied before: a redelivery.
          if (at <= position) continue;
          await apply(event, trx, at);
          position = Math.max(position, at);
          applied++;
        }
        if (applied === 0) return { applied, saved: 0 };
        // Events passed over are already in the rows, so the checkpoint may cover them too.
        const next = Math.max(position, highest, pending);
        if (next > stored) await saveCheckpoint(trx, schema, name, next);
        return { applied, saved: next };
      });
    } catch (error) {
      throw toStoreError(error, `projection ${name}`);
    }
    if (outcome.applied === 0) pending = Math.max(pending, highest);
    else if (outcome.saved >= pending) pending = 0;
    return outcome.applied;
  };

  const resetModel = (reset: ((trx: Transaction<DB>) => Promise<void>) | undefined) => async (trx: Transaction<DB>): Promise<void> => {
    await reset?.(trx);
    pending = 0;
  };

  return {
    name,
    events: options.events,
    orderFree,
    handle: async (event, position) => (await handleBatch([{ event, position }])) === 1,
    handleBatch,
    position: () => readCheckpoint(db, schema, name),
    checkpoint: () => findCheckpoint(db, schema, name),
    flush: async () => {
      const target = pending;
      if (target === 0) return;
      try {
        await db.transaction().execute(async (trx) => {
          if (target > (await lockCheckpoint(trx, schema, name))) await saveCheckpoint(trx, schema, name, target);
        });
      } catch (error) {
        throw toStoreError(error, `projection ${name}`);
      }
      if (pending === target) pending = 0;
    },
    reset: async (reset = options.reset) => {
      await db.transaction().execute(async (trx) => {
        await lockCheckpoint(trx, schema, name);
        await resetModel(reset)(trx);
        await saveCheckpoint(trx, schema, name, 0);
      });
    },
    rebuild: async (source, rebuildOptions = {}) => {
      try {
        return await db.transaction().execute(async (trx) => {
          const stored = await lockCheckpoint(trx, schema, name);
          if (rebuildOptions.expect !== undefined && stored !== rebuildOptions.expect) return { rebuilt: false, applied: 0, position: stored };
          await resetModel(rebuildOptions.reset ?? options.reset)(trx);
          let applied = 0;
          let last = 0;
          for await (const { event, position } of source) {
            last = position;
            if (!handles.has(event.type)) continue;
            await apply(event, trx, position);
            applied++;
          }
          const position = rebuildOptions.position ?? last;
          await saveCheckpoint(trx, schema, name, position);
          return { rebuilt: true, applied, position };
        });
      } catch (error) {
        throw toStoreError(error, `projection ${name} rebuild`);
      }
    },
    close: async () => {
      if (ownsPool) await db.destroy();
    },
  };
}
