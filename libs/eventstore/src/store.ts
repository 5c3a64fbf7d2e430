import { assertSchemaName, openConnection, outboxChannel } from './connection';
import { appendToStream, type AppendContext } from './append';
import { appendStatements } from './append-sql';
import { migrateEventStore } from './migrate';
import { iterateAllRecords, readAllRecords, readStreamRecords, streamVersion } from './read';
import { withConcurrencyRetry } from './retry';
import type { AppendResult, EventStore, EventStoreOptions } from './types';
import { createRelayWaker } from './wake-relay';

/** Opens (and by default migrates) the event store of one service schema. */
export async function createEventStore(options: EventStoreOptions): Promise<EventStore> {
  assertSchemaName(options.schema);
  const connection = openConnection(options);
  const { pool, db, ownsPool } = connection;
  const { schema, registry } = options;
  const channel = outboxChannel(schema);
  const ctx: AppendContext = {
    db, pool, schema, registry, statements: appendStatements(schema), clock: options.clock ?? (() => new Date()),
    channel, waker: createRelayWaker(pool, channel),
    ...(options.domain !== undefined ? { domain: options.domain } : {}),
    ...(options.onAppended !== undefined ? { onAppended: options.onAppended } : {}),
  };
  try {
    if (options.migrate ?? true) await migrateEventStore(db, schema);
  } catch (error) {
    if (ownsPool) await db.destroy();
    throw error;
  }

  return {
    schema,
    registry,
    pool,
    db,
    append: (streamId, expectedVersion, events, appendOptions) => appendToStream(ctx, streamId, expectedVersion, events, appendOptions),
    appendWithRetry: (streamId, decide, retryOptions = {}) =>
      withConcurrencyRetry(async (): Promise<AppendResult> => {
        const after = retryOptions.after;
        const records = await readStreamRecords(ctx, streamId, after !== undefined ? { fromVersion: after.version + 1 } : {});
        const version = records.at(-1)?.event.version ?? after?.version ?? 0;
        const lastPosition = records.at(-1)?.position ?? after?.lastPosition ?? 0;
        const events = records.map((record) => record.event);
        const decided = await decide({ events, version, lastPosition });
        if (decided.length === 0) return { events: [], nextVersion: version, lastPosition };
        return appendToStream(ctx, streamId, version === 0 ? 'no_stream' : version, decided, retryOptions);
      }, retryOptions),
    readStream: async (streamId, readOptions) => (await readStreamRecords(ctx, streamId, readOptions)).map((r) => r.event),
    readStreamRecords: (streamId, readOptions) => readStreamRecords(ctx, streamId, readOptions),
    readAll: (readOptions) => readAllRecords(ctx, readOptions),
    iterateAll: (iterateOptions) => iterateAllRecords(ctx, iterateOptions),
    streamVersion: (streamId) => streamVersion(ctx, streamId),
    close: async () => {
      // Kysely's destroy ends the pool it was given, so only call it when the pool is ours.
      if (ownsPool) await db.destroy();
    },
  };
}
