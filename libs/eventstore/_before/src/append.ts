import type { Kysely } from 'kysely';
import type { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { injectTraceContext } from '@cadre/bus';
import {
  ConcurrencyError, ConflictError, EventMeta, ValidationError, eventSubject, issuesToDetails,
  type EventEnvelope, type EventRegistry,
} from '@cadre/proto';
import { outboxChannel } from './connection';
import type { Database } from './database';
import { isUniqueViolation, toStoreError } from './errors';
import { streamVersion } from './read';
import { withConcurrencyRetry } from './retry';
import type { AppendOptions, AppendResult, ExpectedVersion, NewEvent } from './types';

/** What the append needs from its store. */
export interface AppendContext {
  readonly db: Kysely<Database>;
  readonly pool: Pool;
  /** appendSql(schema), built once per store. */
  readonly appendSql: string;
  /** Name of the prepared append statement (unique per schema). */
  readonly statementName: string;
  readonly schema: string;
  readonly registry: EventRegistry;
  readonly domain?: string;
  readonly clock: () => Date;
}

interface PreparedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly meta: EventMeta;
  readonly occurred_at: string;
  readonly subject: string;
}

interface AppendRow {
  readonly current_version: number;
  readonly inserted: number;
  readonly last_position: string | null;
}

const MAX_STREAM_ID = 200;
const ANY_ATTEMPTS = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates every event before anything is written, so a bad one leaves the store untouched. */
function prepare(ctx: AppendContext, streamId: string, events: readonly NewEvent[], options: AppendOptions): PreparedEvent[] {
  if (typeof streamId !== 'string' || streamId.length === 0 || streamId.length > MAX_STREAM_ID) {
    throw new ValidationError(`invalid stream id (1 to ${MAX_STREAM_ID} characters)`, { streamId });
  }
  if (events.length === 0) throw new ValidationError('an append needs at least one event', { streamId });
  const now = options.now ?? ctx.clock();
  const scope = options.subjectScope ?? streamId;
  // The writer's trace travels with the event, so consumers can join it (explicit meta wins).
  const { traceparent, tracestate } = injectTraceContext();
  const trace = { ...(traceparent ? { traceparent } : {}), ...(tracestate ? { tracestate } : {}) };
  return events.map((event, index) => {
    const definition = ctx.registry.get(event.type);
    if (ctx.domain !== undefined && definition.domain !== ctx.domain) {
      throw new ValidationError(`event ${event.type} belongs to domain ${definition.domain}, not ${ctx.domain}`, { index, type: event.type });
    }
    const data = ctx.registry.validate(event.type, event.data);
    const meta = EventMeta.safeParse({ ...trace, ...event.meta, schemaVersion: definition.version });
    if (!meta.success) throw new ValidationError(`invalid meta for event ${event.type}`, issuesToDetails(meta.error.issues));
    if (event.id !== undefined && !UUID.test(event.id)) throw new ValidationError('event id must be a UUID', { index, id: event.id });
    const occurredAt = new Date(event.occurredAt ?? now);
    if (Number.isNaN(occurredAt.getTime())) throw new ValidationError('invalid occurredAt', { index, occurredAt: event.occurredAt });
    return {
      id: event.id ?? uuidv7(),
      type: event.type,
      data,
      meta: meta.data,
      occurred_at: occurredAt.toISOString(),
      subject: eventSubject(definition.domain, event.type, scope),
    };
  });
}

function expectedAsNumber(expected: ExpectedVersion): number | null {
  if (expected === 'any') return null;
  if (expected === 'no_stream') return 0;
  if (!Number.isInteger(expected) || expected < 0) throw new ValidationError('expected version must be a whole number >= 0', { expected });
  return expected;
}

/**
 * One statement does the whole append, so it is atomic without an explicit transaction and
 * costs one round trip: check the version, insert the events and their outbox rows, and
 * NOTIFY the relay (delivered at commit, and only when something was inserted). Two writers
 * that both pass the version check collide on UNIQUE(stream_id, version); the loser fails.
 * Parameters: $1 stream id, $2 events as a JSON array, $3 expected version (null = any),
 * $4 NOTIFY channel.
 */
export function appendSql(schema: string): string {
  const events = `"${schema}".events`;
  const outbox = `"${schema}".outbox`;
  return `
    WITH cur AS (
      SELECT coalesce(max(version), 0)::int AS v FROM ${events} WHERE stream_id = $1
    ),
    input AS (
      SELECT r.*, e.ord::int AS ord
      FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS e(value, ord)
      CROSS JOIN LATERAL jsonb_to_record(e.value) AS r(id uuid, type text, data jsonb, meta jsonb, occurred_at text, subject text)
    ),
    ins AS (
      INSERT INTO ${events} (id, stream_id, version, type, data, meta, occurred_at)
      SELECT i.id, $1, cur.v + i.ord, i.type, i.data, i.meta, i.occurred_at::timestamptz
      FROM input i CROSS JOIN cur
      WHERE $3::int IS NULL OR cur.v = $3::int
      ORDER BY i.ord
      RETURNING position, id, stream_id, version, type, data, meta
    ),
    out AS (
      INSERT INTO ${outbox} (position, event_id, subject, payload)
      SELECT ins.position, ins.id, i.subject, jsonb_build_object(
        'id', ins.id, 'type', ins.type, 'stream', ins.stream_id, 'version', ins.version,
        'occurredAt', i.occurred_at, 'data', ins.data, 'meta', ins.meta)
      FROM ins JOIN input i ON i.id = ins.id
      RETURNING position
    )
    SELECT (SELECT v FROM cur) AS current_version,
           (SELECT count(*) FROM out)::int AS inserted,
           (SELECT max(position) FROM out)::text AS last_position,
           (SELECT count(*) FROM (SELECT pg_notify($4, '') FROM ins LIMIT 1) n) AS notified`;
}

async function currentVersion(ctx: AppendContext, streamId: string): Promise<number | undefined> {
  return streamVersion(ctx, streamId).catch(() => undefined);
}

/** Appends `events` to `streamId` if it is at `expectedVersion`; see EventStore.append. */
export async function appendToStream(
  ctx: AppendContext, streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[], options: AppendOptions = {},
): Promise<AppendResult> {
  const expected = expectedAsNumber(expectedVersion);
  const rows = prepare(ctx, streamId, events, options);
  // 'any' promises the caller no conflict, so a race for the next version is retried here.
  if (expected === null) return withConcurrencyRetry(() => insert(ctx, streamId, expectedVersion, expected, rows), { attempts: ANY_ATTEMPTS });
  return insert(ctx, streamId, expectedVersion, expected, rows);
}

async function insert(
  ctx: AppendContext, streamId: string, expectedVersion: ExpectedVersion, expected: number | null, rows: readonly PreparedEvent[],
): Promise<AppendResult> {
  let result: AppendRow | undefined;
  try {
    // A named statement is parsed and planned once per connection; planning this CTE costs
    // several times more than executing it.
    const query = { name: ctx.statementName, text: ctx.appendSql, values: [streamId, JSON.stringify(rows), expected, outboxChannel(ctx.schema)] };
    result = (await ctx.pool.query<AppendRow>(query)).rows[0];
  } catch (error) {
    if (isUniqueViolation(error, 'events_stream_version_key')) {
      const current = await currentVersion(ctx, streamId);
      throw new ConcurrencyError(`stream ${streamId} was appended to concurrently`, { streamId, expectedVersion, currentVersion: current });
    }
    if (isUniqueViolation(error, 'events_id_key')) {
      throw new ConflictError('an event with this id was already appended', { streamId, ids: rows.map((r) => r.id) });
    }
    throw toStoreError(error, 'append');
  }
  if (!result || result.inserted !== rows.length || result.last_position === null) {
    const current = result?.current_version;
    throw new ConcurrencyError(`stream ${streamId} is at version ${current}, expected ${expectedVersion}`, { streamId, expectedVersion, currentVersion: current });
  }
  const first = result.current_version + 1;
  const envelopes: EventEnvelope[] = rows.map((row, i) => ({
    id: row.id, type: row.type, stream: streamId, version: first + i, occurredAt: row.occurred_at, data: row.data, meta: row.meta,
  }));
  return { events: envelopes, nextVersion: result.current_version + rows.length, lastPosition: Number(result.last_position) };
}
