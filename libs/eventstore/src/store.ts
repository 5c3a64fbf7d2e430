import { assertSchemaName, openConnection, outboxChannel } from './connection';
import { appendToStream, type AppendContext } from './append';
import { appendStatements } from './append-sql';
import { migrateEventStore } from './migrate';
import { iterateAllRecords, readAllRecords, readStreamRecords, streamVersion } from './read';
import { withConcurrencyRetry } from './retry';
import { ConcurrencyError, ConflictError } from '@cadre/proto';
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
      const after = retryOptions.after;
      // A speculation is tried once, before the first read; anything but its append standing falls back to reading.
      let speculate = after !== undefined && retryOptions.speculate === true;
      return withConcurrencyRetry(async (): Promise<AppendResult> => {
        if (speculate && after !== undefined) {
          speculate = false;
          const stood = await speculativeAppend(after);
          if (stood !== undefined) return stood;
        }
        const records = await readStreamRecords(ctx, streamId, after !== undefined ? { fromVersion: after.version + 1 } : {});
        const version = records.at(-1)?.event.version ?? after?.version ?? 0;
        const lastPosition = records.at(-1)?.position ?? after?.lastPosition ?? 0;
        const events = records.map((record) => record.event);
        const decided = await decide({ events, version, lastPosition });
        if (decided.length === 0) return { events: [], nextVersion: version, lastPosition };
        return appendToStream(ctx, streamId, version === 0 ? 'no_stream' : version, decided, retryOptions);
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
          decided = await decide({ events: [], version: mark.version, lastPosition: mark.lastPosition });
        } catch {
          return undefined;
        }
        if (decided.length === 0) return undefined;
        try {
          return await appendToStream(ctx, streamId, mark.version === 0 ? 'no_stream' : mark.version, decided, retryOptions, false);
        } catch (error) {
          if (error instanceof ConcurrencyError || error instanceof ConflictError) return undefined;
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
