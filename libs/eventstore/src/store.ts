import { assertSchemaName, openConnection, outboxChannel } from './connection';
import { appendToStream, groupedAppends, type AppendContext } from './append';
import { appendStatements } from './append-sql';
import { migrateEventStore } from './migrate';
import { iterateAllRecords, readAllRecords, readStreamRecords, streamVersion } from './read';
import { withConcurrencyRetry } from './retry';
import { ConcurrencyError, ConflictError, ValidationError } from '@cadre/proto';
import type { AppendResult, EventStore, EventStoreOptions, NewEvent, StreamMark } from './types';
import { localRelays } from './relay/local';
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
    channel, waker: createRelayWaker(pool, channel, localRelays(pool, schema)),
    ...(options.domain !== undefined ? { domain: options.domain } : {}),
    ...(options.onAppended !== undefined ? { onAppended: options.onAppended } : {}),
    grouped: groupedAppends(() => ctx),
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
    appendWithRetry: (streamId, decide, retryOptions = {}) => {
      let mark = retryOptions.after;
      // A speculation is tried once, before the first read; anything but its append standing falls back to reading.
      let speculate = mark !== undefined && retryOptions.speculate === true;
      return withConcurrencyRetry(async (): Promise<AppendResult> => {
        if (speculate && mark !== undefined) {
          speculate = false;
          const stood = await speculativeAppend(mark);
          if (stood !== undefined) return stood;
        }
        const from = mark;
        const records = await readStreamRecords(ctx, streamId, from !== undefined ? { fromVersion: from.version + 1 } : {});
        const version = records.at(-1)?.event.version ?? from?.version ?? 0;
        const lastPosition = records.at(-1)?.position ?? from?.lastPosition ?? 0;
        const events = records.map((record) => record.event);
        const decided = await decide({ events, version, lastPosition, ...(from !== undefined ? { after: from } : {}) });
        if (decided.length === 0) return { events: [], nextVersion: version, lastPosition };
        try {
          return await appendToStream(ctx, streamId, version === 0 ? 'no_stream' : version, decided, retryOptions);
        } catch (error) {
          // Nothing after the mark, yet the stream is not at its version: the mark may be ahead of the
          // stream (a restored database, a commit lost in a failover). The next try reads it whole.
          if (error instanceof ConcurrencyError && from !== undefined && records.length === 0) mark = undefined;
          throw error;
        }
      }, retryOptions);

      /**
       * Decides on the mark as if nothing followed it and appends at its version, with no read. Only
       * an append that commits proves the mark was the stream's end, so a decision of no events, one
       * that throws, or an append that finds the stream moved on answers undefined: read and decide
       * again (a decision made on a stale state is never the one that stands or answers).
       */
      async function speculativeAppend(mark: StreamMark): Promise<AppendResult | undefined> {
        let decided: readonly NewEvent[];
        try {
          decided = await decide({ events: [], version: mark.version, lastPosition: mark.lastPosition, after: mark });
        } catch {
          return undefined;
        }
        if (decided.length === 0) return undefined;
        try {
          return await appendToStream(ctx, streamId, mark.version === 0 ? 'no_stream' : mark.version, decided, retryOptions, false);
        } catch (error) {
          // The stream moved on (or the events do not hold on it): decide again on what is read. A
          // store that cannot be reached is no reason to read.
          if (error instanceof ConcurrencyError || error instanceof ConflictError || error instanceof ValidationError) return undefined;
          throw error;
        }
      }
    },
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
