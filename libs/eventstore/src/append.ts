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
  /** The store's appends without writes alongside, committed in groups (groupedAppends). */
  readonly grouped: (append: PendingAppend) => void;
}

/** An append without writes alongside, waiting for its statement. */
export interface PendingAppend {
  readonly streamId: string;
  /** The version the stream must be at, as the caller gave it ('any': none). */
  readonly expectedVersion: ExpectedVersion;
  readonly rows: readonly PreparedEvent[];
  /** Whether a ConcurrencyError of the append alone names the stream's version (see insert). */
  readonly describeConflict: boolean;
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
  if (expected === null && options.alongside !== undefined) throw new ValidationError('writes alongside an append need an expected version', { streamId });
  // At an expected version, only a one-event append without writes alongside joins a group: several
  // events of one append cost more in the group's statement than in their own (measured: 16
  // writers of 10 events, 0.46–0.50× raw INSERT grouped, 0.56–0.58× alone).
  if (expected === null || (options.alongside === undefined && rows.length === 1)) {
    return new Promise((resolve, reject) => ctx.grouped({ streamId, expectedVersion, rows, describeConflict, resolve, reject }));
  }
  const alongside = options.alongside?.(envelopesOf(streamId, expected, rows));
  if (alongside !== undefined && !ALONGSIDE_KEY.test(alongside.key)) throw new ValidationError('the key of writes alongside an append is letters, digits and _', { key: alongside.key });
  return insert(ctx, streamId, expectedVersion, expected, rows, describeConflict, alongside);
}

const ALONGSIDE_KEY = /^[A-Za-z0-9_]{1,40}$/;

/**
 * The appends of one store that write nothing alongside (see groupCommit): one alone is the usual
 * append; those that came while others were committing go in one statement (append-sql's batch),
 * events counted against `maxSize`. 'any' promises the caller no conflict, so a race for a
 * stream's next version is retried here (a group's statement a few times, then each append
 * alone: groupCommit tries a failed group item by item, so that an event id already stored or
 * data Postgres refuses fails only its own append). An append at an expected version that its
 * stream is not at fails alone with a ConcurrencyError, as it would outside a group.
 */
export function groupedAppends(ctx: () => AppendContext, limits?: GroupCommitLimits): (append: PendingAppend) => void {
  const alone = (append: PendingAppend): Promise<void> => {
    const expected = expectedAsNumber(append.expectedVersion);
    const once = () => insert(ctx(), append.streamId, append.expectedVersion, expected, append.rows, append.describeConflict);
    return (expected === null ? withConcurrencyRetry(once, { attempts: ANY_ATTEMPTS }) : once()).then(append.resolve, append.reject);
  };
  return groupCommit<PendingAppend, BatchOutcome>({
    alone,
    together: (appends) => withConcurrencyRetry(() => insertBatch(ctx(), appends), { attempts: BATCH_ATTEMPTS }),
    settle(append, outcome) {
      if (outcome === ALONE) void alone(append);
      else if (outcome instanceof ConcurrencyError) append.reject(outcome);
      else append.resolve(outcome);
    },
    sizeOf: (append) => append.rows.length,
  }, limits);
}

/** What the group's statement did for an append: its result, its conflict, or left it to go alone. */
type BatchOutcome = AppendResult | ConcurrencyError | typeof ALONE;
const ALONE = Symbol('alone');

/** Tries of a group's statement before its appends go alone (each then retries its own race). */
const BATCH_ATTEMPTS = 5;

/** One row of the batch statement per event, in the order given. */
interface BatchRow {
  /** Null when its stream was not at the version its append expected (nothing of it written). */
  readonly position: string | null;
  readonly version: number | null;
  /** Its stream's version before the statement. */
  readonly current_version: number;
}

/**
 * Several appends in one statement, their events grouped by stream (see batchSql). The streams
 * go in the order of their ids, so that two statements in flight take the rows' locks in the
 * same order and cannot deadlock; each stream's appends stay in the order they came. A stream
 * with an append at an expected version and another append in the group stays out of the
 * statement (the second's expected version would be judged against the stream before the
 * first): its appends go alone, as they would without the group.
 */
async function insertBatch(ctx: AppendContext, appends: readonly PendingAppend[]): Promise<BatchOutcome[]> {
  const byStream = new Map<string, PendingAppend[]>();
  for (const append of appends) {
    const same = byStream.get(append.streamId);
    if (same) same.push(append);
    else byStream.set(append.streamId, [append]);
  }
  const results = new Map<PendingAppend, BatchOutcome>();
  for (const [streamId, same] of byStream) {
    if (same.length > 1 && same.some((append) => append.expectedVersion !== 'any')) {
      for (const append of same) results.set(append, ALONE);
      byStream.delete(streamId);
    }
  }
  if (byStream.size === 0) return appends.map((append) => results.get(append)!);
  const ordered = [...byStream.keys()].sort().flatMap((streamId) => byStream.get(streamId)!);
  const rows = ordered.flatMap((append) => append.rows.map((row) => ({ append, row })));
  const notify = ctx.waker.enter();
  let result: BatchRow[];
  try {
    const values = [
      rows.map((r) => r.append.streamId), rows.map((r) => r.row.id), rows.map((r) => r.row.type), rows.map((r) => JSON.stringify(r.row.data)),
      rows.map((r) => JSON.stringify(r.row.meta)), rows.map((r) => r.row.occurred_at), rows.map((r) => r.row.subject), notify ? ctx.channel : null,
      rows.map((r) => expectedAsNumber(r.append.expectedVersion)),
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
  // The statement committed: the relay hears of what it wrote whatever follows.
  ctx.waker.leave(result.some((row) => row.position !== null), notify);
  if (result.length !== rows.length) throw new Error(`append batch: ${rows.length} events sent, ${result.length} answered`);
  let at = 0;
  for (const append of ordered) {
    const mine = result.slice(at, at + append.rows.length);
    at += append.rows.length;
    const first = mine[0]!;
    if (first.position === null || first.version === null) {
      const { streamId, expectedVersion } = append;
      results.set(append, new ConcurrencyError(`stream ${streamId} is at version ${first.current_version}, expected ${expectedVersion}`, {
        streamId, expectedVersion, currentVersion: first.current_version,
      }));
      continue;
    }
    const before = first.version - 1;
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
