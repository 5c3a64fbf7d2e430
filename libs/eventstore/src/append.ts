import type { Kysely } from 'kysely';
import type { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import {
  ConcurrencyError, ConflictError, EventMeta, ValidationError, eventSubject, issuesToDetails,
  type EventEnvelope, type EventRegistry,
} from '@cadre/proto';
import type { AppendStatements } from './append-sql';
import { groupCommit, injectTraceContext, type GroupCommitLimits } from '@cadre/bus';
import type { Database } from './database';
import { isUniqueViolation, toStoreError } from './errors';
import { streamVersion } from './read';
import { withConcurrencyRetry } from './retry';
import type { Alongside, AppendOptions, AppendResult, AppendedEventRef, ExpectedVersion, NewEvent } from './types';
import type { RelayWaker } from './wake-relay';

/** What the append needs from its store. */
export interface AppendContext {
  readonly db: Kysely<Database>;
  readonly pool: Pool;
  /** appendStatements(schema), built once per store. */
  readonly statements: AppendStatements;
  readonly schema: string;
  /** NOTIFY channel of the schema's relay, and when to use it. */
  readonly channel: string;
  readonly waker: RelayWaker;
  readonly registry: EventRegistry;
  readonly domain?: string | readonly string[];
  readonly clock: () => Date;
  /** Hears of each committed append (metrics); its failures never fail the append. */
  readonly onAppended?: (events: readonly AppendedEventRef[]) => void;
  /** The store's appends of version 'any', committed in groups (anyAppends). */
  readonly any: (append: AnyAppend) => void;
}

/** An append of version 'any' waiting for its statement. */
export interface AnyAppend {
  readonly streamId: string;
  readonly rows: readonly PreparedEvent[];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

export interface PreparedEvent {
  readonly id: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly meta: EventMeta;
  readonly occurred_at: string;
  readonly subject: string;
  readonly domain: string;
}

/** One when the events were appended; none when the stream was not at the expected version. */
interface AppendRow {
  readonly last_position: string;
  /** The stream's version before the append. */
  readonly current_version: number;
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
    const allowed = ctx.domain === undefined ? undefined : typeof ctx.domain === 'string' ? [ctx.domain] : ctx.domain;
    if (allowed !== undefined && !allowed.includes(definition.domain)) {
      throw new ValidationError(`event ${event.type} belongs to domain ${definition.domain}, not ${allowed.join(' or ')}`, { index, type: event.type });
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
      domain: definition.domain,
    };
  });
}

function expectedAsNumber(expected: ExpectedVersion): number | null {
  if (expected === 'any') return null;
  if (expected === 'no_stream') return 0;
  if (!Number.isInteger(expected) || expected < 0) throw new ValidationError('expected version must be a whole number >= 0', { expected });
  return expected;
}

async function currentVersion(ctx: AppendContext, streamId: string): Promise<number | undefined> {
  return streamVersion(ctx, streamId).catch(() => undefined);
}

/** Appends `events` to `streamId` if it is at `expectedVersion`; see EventStore.append. */
export async function appendToStream(
  ctx: AppendContext, streamId: string, expectedVersion: ExpectedVersion, events: readonly NewEvent[], options: AppendOptions = {},
  describeConflict = true,
): Promise<AppendResult> {
  const expected = expectedAsNumber(expectedVersion);
  const rows = prepare(ctx, streamId, events, options);
  if (expected === null) {
    if (options.alongside !== undefined) throw new ValidationError('writes alongside an append need an expected version', { streamId });
    return new Promise((resolve, reject) => ctx.any({ streamId, rows, resolve, reject }));
  }
  const alongside = options.alongside?.(envelopesOf(streamId, expected, rows));
  if (alongside !== undefined && !ALONGSIDE_KEY.test(alongside.key)) throw new ValidationError('the key of writes alongside an append is letters, digits and _', { key: alongside.key });
  return insert(ctx, streamId, expectedVersion, expected, rows, describeConflict, alongside);
}

const ALONGSIDE_KEY = /^[A-Za-z0-9_]{1,40}$/;

/**
 * The appends of version 'any' of one store (see groupCommit): one alone is the usual append; those
 * that came while others were committing go in one statement (append-sql's batch), events counted
 * against `maxSize`. 'any' promises the caller no conflict, so a race for a stream's next version
 * is retried here (a group's statement a few times, then each append alone: groupCommit tries a
 * failed group item by item, so that an event id already stored or data Postgres refuses fails
 * only its own append).
 */
export function anyAppends(ctx: () => AppendContext, limits?: GroupCommitLimits): (append: AnyAppend) => void {
  return groupCommit<AnyAppend, AppendResult>({
    alone: (append) => withConcurrencyRetry(() => insert(ctx(), append.streamId, 'any', null, append.rows, true), { attempts: ANY_ATTEMPTS })
      .then(append.resolve, append.reject),
    together: (appends) => withConcurrencyRetry(() => insertBatch(ctx(), appends), { attempts: BATCH_ATTEMPTS }),
    settle: (append, result) => append.resolve(result),
    sizeOf: (append) => append.rows.length,
  }, limits);
}

/** Tries of a group's statement before its appends go alone (each then retries its own race). */
const BATCH_ATTEMPTS = 5;

/** One row of the batch statement: an event's position and version, in the order given. */
interface BatchRow {
  readonly position: string;
  readonly version: number;
}

/**
 * Several 'any' appends in one statement, their events grouped by stream (see anyBatchSql). The
 * streams go in the order of their ids, so that two statements in flight take the rows' locks in
 * the same order and cannot deadlock; each stream's appends stay in the order they came.
 */
async function insertBatch(ctx: AppendContext, appends: readonly AnyAppend[]): Promise<AppendResult[]> {
  const byStream = new Map<string, AnyAppend[]>();
  for (const append of appends) {
    const same = byStream.get(append.streamId);
    if (same) same.push(append);
    else byStream.set(append.streamId, [append]);
  }
  const ordered = [...byStream.keys()].sort().flatMap((streamId) => byStream.get(streamId)!);
  const rows = ordered.flatMap((append) => append.rows.map((row) => ({ streamId: append.streamId, row })));
  const notify = ctx.waker.enter();
  let result: BatchRow[];
  try {
    const values = [
      rows.map((r) => r.streamId), rows.map((r) => r.row.id), rows.map((r) => r.row.type), rows.map((r) => JSON.stringify(r.row.data)),
      rows.map((r) => JSON.stringify(r.row.meta)), rows.map((r) => r.row.occurred_at), rows.map((r) => r.row.subject), notify ? ctx.channel : null,
    ];
    result = (await ctx.pool.query<BatchRow>({ ...ctx.statements.batch, values })).rows;
  } catch (error) {
    ctx.waker.leave(false, false);
    // A race for a stream's next version is tried again; anything else sends the appends alone.
    if (isUniqueViolation(error, 'events_stream_version_key')) {
      throw new ConcurrencyError('a stream of the batch was appended to concurrently', { streams: [...byStream.keys()] });
    }
    throw error;
  }
  ctx.waker.leave(true, notify);
  if (result.length !== rows.length) throw new Error(`append batch: ${rows.length} events sent, ${result.length} written`);
  const results = new Map<AnyAppend, AppendResult>();
  let at = 0;
  for (const append of ordered) {
    const mine = result.slice(at, at + append.rows.length);
    at += append.rows.length;
    const before = mine[0]!.version - 1;
    results.set(append, {
      events: envelopesOf(append.streamId, before, append.rows), nextVersion: before + append.rows.length, lastPosition: Number(mine.at(-1)!.position),
    });
    counted(ctx, append.rows);
  }
  return appends.map((append) => results.get(append)!);
}

/** Tells onAppended of a committed append; a metric must not fail it. */
function counted(ctx: AppendContext, rows: readonly PreparedEvent[]): void {
  if (!ctx.onAppended) return;
  try {
    ctx.onAppended(rows.map((row) => ({ domain: row.domain, type: row.type })));
  } catch {
    // A metric must not turn a committed append into a failure the caller would retry.
  }
}

/** The envelopes of the events as appended after version `before`. */
function envelopesOf(streamId: string, before: number, rows: readonly PreparedEvent[]): EventEnvelope[] {
  return rows.map((row, i) => ({
    id: row.id, type: row.type, stream: streamId, version: before + 1 + i, occurredAt: row.occurred_at, data: row.data, meta: row.meta,
  }));
}

/**
 * The append itself. A ConcurrencyError names the stream's current version (one more round trip)
 * unless `describeConflict` is false: a caller that reads the stream next anyway.
 */
async function insert(
  ctx: AppendContext, streamId: string, expectedVersion: ExpectedVersion, expected: number | null, rows: readonly PreparedEvent[],
  describeConflict: boolean, alongside?: Alongside,
): Promise<AppendResult> {
  let result: AppendRow | undefined;
  const notify = ctx.waker.enter();
  try {
    const one = rows.length === 1;
    const column = (pick: (row: PreparedEvent) => unknown): unknown => (one ? pick(rows[0]!) : rows.map(pick));
    const values = [
      streamId, expected, column((r) => r.id), column((r) => r.type), column((r) => JSON.stringify(r.data)),
      column((r) => JSON.stringify(r.meta)), column((r) => r.occurred_at), column((r) => r.subject), notify ? ctx.channel : null,
      ...(alongside?.values ?? []),
    ];
    const statement = alongside !== undefined ? ctx.statements.alongside(!one, alongside) : one ? ctx.statements.one : ctx.statements.many;
    result = (await ctx.pool.query<AppendRow>({ ...statement, values })).rows[0];
  } catch (error) {
    ctx.waker.leave(false, false);
    if (isUniqueViolation(error, 'events_stream_version_key')) {
      const current = describeConflict ? await currentVersion(ctx, streamId) : undefined;
      throw new ConcurrencyError(`stream ${streamId} was appended to concurrently`, { streamId, expectedVersion, currentVersion: current });
    }
    if (isUniqueViolation(error, 'events_id_key')) {
      throw new ConflictError('an event with this id was already appended', { streamId, ids: rows.map((r) => r.id) });
    }
    throw toStoreError(error, 'append');
  }
  ctx.waker.leave(result !== undefined, notify);
  if (!result) {
    // Nothing was written (all or nothing): the stream is at another version than expected.
    const current = describeConflict ? await currentVersion(ctx, streamId) : undefined;
    throw new ConcurrencyError(`stream ${streamId} is at version ${current}, expected ${expectedVersion}`, { streamId, expectedVersion, currentVersion: current });
  }
  // The statement has committed (it runs outside any transaction): only now is it counted.
  counted(ctx, rows);
  const before = result.current_version;
  return { events: envelopesOf(streamId, before, rows), nextVersion: before + rows.length, lastPosition: Number(result.last_position) };
}
