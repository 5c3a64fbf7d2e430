import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import type { EventEnvelope } from '@cadre/proto';
import { assertSchemaName, openConnection, type ConnectionOptions } from '../connection';
import { toStoreError } from '../errors';
import { migrateEventStore } from '../migrate';
import type { RecordedEvent } from '../types';
import { lockCheckpoint, readCheckpoint, saveCheckpoint } from './checkpoint';

/** Applies one event to a read model, inside the transaction that also moves the checkpoint. */
export type ApplyEvent<DB> = (trx: Transaction<DB>, event: EventEnvelope, position: number) => Promise<void>;

export type ProjectionOptions<DB> = ConnectionOptions & {
  /** Unique name of the projection; its checkpoint row is keyed by it. */
  readonly name: string;
  /** Schema holding the checkpoints table (the owning service's schema). */
  readonly schema: string;
  readonly apply: ApplyEvent<DB>;
  /** Create the checkpoints table when missing (default true). */
  readonly migrate?: boolean;
};

export interface RebuildOptions<DB> {
  /** Empties the read model; runs in the transaction that sets the checkpoint back to 0. */
  readonly reset: (trx: Transaction<DB>) => Promise<void>;
  /** Events applied per transaction (default 500). */
  readonly batchSize?: number;
}

/** A read model kept by applying events exactly once, in position order. */
export interface Projection<DB = unknown> {
  readonly name: string;
  /** Applies the event unless its position is at or below the checkpoint; true when applied. */
  handle(event: EventEnvelope, position: number): Promise<boolean>;
  /** Applies several events in one transaction (those above the checkpoint); returns how many. */
  handleBatch(records: readonly RecordedEvent[]): Promise<number>;
  /** The last position applied, 0 before the first. */
  position(): Promise<number>;
  /** Empties the read model and sets the checkpoint to 0, atomically. */
  reset(reset: (trx: Transaction<DB>) => Promise<void>): Promise<void>;
  /**
   * Resets, then replays `source` (e.g. `store.iterateAll()`). Positions must come from the same
   * place as the live feed's: store positions with a store source, stream sequences with the bus
   * (to rebuild a bus-fed projection: reset, delete its durable consumer, consume again).
   */
  rebuild(source: AsyncIterable<RecordedEvent> | Iterable<RecordedEvent>, options: RebuildOptions<DB>): Promise<{ readonly applied: number; readonly position: number }>;
  /** Ends the pool when the projection created it. */
  close(): Promise<void>;
}

/** Creates a projection whose updates and checkpoint commit together (idempotent on redelivery). */
export async function createProjection<DB = unknown>(options: ProjectionOptions<DB>): Promise<Projection<DB>> {
  const { name, schema, apply } = options;
  assertSchemaName(schema);
  const { pool, ownsPool } = openConnection(options);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  if (options.migrate ?? true) await migrateEventStore(db, schema);

  const handleBatch = async (records: readonly RecordedEvent[]): Promise<number> => {
    if (records.length === 0) return 0;
    try {
      return await db.transaction().execute(async (trx) => {
        let position = await lockCheckpoint(trx, schema, name);
        let applied = 0;
        for (const { event, position: at } of records) {
          if (at <= position) continue;
          await apply(trx, event, at);
          position = at;
          applied++;
        }
        if (applied > 0) await saveCheckpoint(trx, schema, name, position);
        return applied;
      });
    } catch (error) {
      throw toStoreError(error, `projection ${name}`);
    }
  };

  const reset = async (resetModel: (trx: Transaction<DB>) => Promise<void>): Promise<void> => {
    await db.transaction().execute(async (trx) => {
      await lockCheckpoint(trx, schema, name);
      await resetModel(trx);
      await saveCheckpoint(trx, schema, name, 0);
    });
  };

  return {
    name,
    handle: async (event, position) => (await handleBatch([{ event, position }])) === 1,
    handleBatch,
    position: () => readCheckpoint(db, schema, name),
    reset,
    rebuild: async (source, rebuildOptions) => {
      const batchSize = rebuildOptions.batchSize ?? 500;
      await reset(rebuildOptions.reset);
      let applied = 0;
      let batch: RecordedEvent[] = [];
      for await (const record of source) {
        batch.push(record);
        if (batch.length >= batchSize) {
          applied += await handleBatch(batch);
          batch = [];
        }
      }
      applied += await handleBatch(batch);
      return { applied, position: await readCheckpoint(db, schema, name) };
    },
    close: async () => {
      if (ownsPool) await db.destroy();
    },
  };
}
