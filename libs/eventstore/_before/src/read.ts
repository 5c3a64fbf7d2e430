import type { Kysely } from 'kysely';
import type { EventEnvelope, EventMeta, EventRegistry } from '@cadre/proto';
import type { Database, EventRow } from './database';
import { toStoreError } from './errors';
import type { ReadAllOptions, ReadStreamOptions, RecordedEvent } from './types';

/** What the read side needs from its store. */
export interface ReadContext {
  readonly db: Kysely<Database>;
  readonly schema: string;
  readonly registry: EventRegistry;
}

const DEFAULT_LIMIT = 1_000;

/**
 * Turns a stored event into the envelope readers get: data written under an older schema
 * version is upcast to the current one. Types this registry does not know pass through as
 * stored, so a retired type never makes a stream unreadable.
 */
export function upcastEnvelope(registry: EventRegistry, event: EventEnvelope): EventEnvelope {
  if (!registry.has(event.type)) return event;
  const current = registry.get(event.type).version;
  const stored = event.meta.schemaVersion ?? 1;
  if (stored >= current) return event;
  return { ...event, data: registry.upcast(event.type, event.data, stored), meta: { ...event.meta, schemaVersion: current } };
}

function toRecorded(registry: EventRegistry, row: EventRow): RecordedEvent {
  const meta = row.meta as EventMeta;
  const envelope: EventEnvelope = {
    id: row.id,
    type: row.type,
    stream: row.stream_id,
    version: row.version,
    occurredAt: row.occurred_at.toISOString(),
    data: row.data,
    meta: { ...meta, schemaVersion: typeof meta.schemaVersion === 'number' ? meta.schemaVersion : 1 },
  };
  return { event: upcastEnvelope(registry, envelope), position: Number(row.position) };
}

/** A stream's events from `fromVersion`, in version order, each with its position. */
export async function readStreamRecords(ctx: ReadContext, streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
  try {
    const rows = await ctx.db.withSchema(ctx.schema).selectFrom('events').selectAll()
      .where('stream_id', '=', streamId)
      .where('version', '>=', options.fromVersion ?? 1)
      .orderBy('version')
      .execute();
    return rows.map((row) => toRecorded(ctx.registry, row));
  } catch (error) {
    throw toStoreError(error, 'readStream');
  }
}

/** Events of every stream from `fromPosition`, in position order. */
export async function readAllRecords(ctx: ReadContext, options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
  try {
    const rows = await ctx.db.withSchema(ctx.schema).selectFrom('events').selectAll()
      .where('position', '>=', String(options.fromPosition ?? 1))
      .orderBy('position')
      .limit(options.limit ?? DEFAULT_LIMIT)
      .execute();
    return rows.map((row) => toRecorded(ctx.registry, row));
  } catch (error) {
    throw toStoreError(error, 'readAll');
  }
}

/** Every event from `fromPosition` on, fetched a page at a time. */
export async function* iterateAllRecords(
  ctx: ReadContext, options: { readonly fromPosition?: number; readonly batchSize?: number } = {},
): AsyncGenerator<RecordedEvent> {
  const limit = options.batchSize ?? DEFAULT_LIMIT;
  let from = options.fromPosition ?? 1;
  for (;;) {
    const page = await readAllRecords(ctx, { fromPosition: from, limit });
    yield* page;
    const last = page.at(-1);
    if (!last || page.length < limit) return;
    from = last.position + 1;
  }
}

/** Current version of a stream, 0 when it has no events. */
export async function streamVersion(ctx: ReadContext, streamId: string): Promise<number> {
  try {
    const row = await ctx.db.withSchema(ctx.schema).selectFrom('events')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('stream_id', '=', streamId)
      .executeTakeFirst();
    return Number(row?.v ?? 0);
  } catch (error) {
    throw toStoreError(error, 'streamVersion');
  }
}
