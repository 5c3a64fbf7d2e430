import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryResult } from 'pg';
import type { Bus, PublishAck, PublishAllResult } from '@cadre/bus';
import { relayLockName } from '../connection';
import { isSessionShared } from '../errors';

export interface BatchContext {
  readonly pool: Pool;
  readonly schema: string;
  readonly bus: Pick<Bus, 'events'>;
  readonly batchSize: number;
  readonly publishTimeoutMs: number;
  /** Publishes in flight at once, each of a different stream. */
  readonly publishWindow: number;
}

export interface BatchOutcome {
  /** False when another relay replica holds the lock; this one published nothing. */
  readonly locked: boolean;
  readonly published: number;
  readonly duplicates: number;
  /** True when the batch was full (batchSize outbox rows), so more are probably waiting. */
  readonly full: boolean;
  /**
   * The first publish refused: its stream stopped there (its later events wait in the outbox);
   * the other streams' events were published and their rows deleted.
   */
  readonly error?: unknown;
}

/** One event to publish: its outbox row (one per append) and its own position. */
interface OutboxItem {
  readonly outbox_position: string;
  readonly stream_id: string;
  readonly position: string;
  readonly event_id: string;
  readonly subject: string;
  readonly payload: string;
  readonly traceparent: string | null;
  readonly tracestate: string | null;
}

/** Where the event came from, and the writer's trace context so consumers join its trace. */
function headersOf(ctx: BatchContext, item: OutboxItem): Record<string, string> {
  return {
    'Cadre-Store': ctx.schema,
    'Cadre-Position': item.position,
    ...(item.traceparent ? { traceparent: item.traceparent } : {}),
    ...(item.tracestate ? { tracestate: item.tracestate } : {}),
  };
}

/** Most events of a stream handed to the bus in one `publishAll` (an append may hold thousands). */
const RUN_CHUNK = 256;

/**
 * Publishes a stream's events in order, up to RUN_CHUNK at a time with `publishAll`, which never
 * stores an event without those before it (the embedded bus takes them in one statement, NATS one
 * after the other); a chunk goes only once the one before was stored whole. A chunk of n events
 * is given up after n publish timeouts (the budget they had one by one): then nothing of it counts
 * as acknowledged, and the bus stops before its next event.
 */
async function publishRun(ctx: BatchContext, run: readonly OutboxItem[]): Promise<PublishAllResult> {
  const acks: PublishAck[] = [];
  for (let start = 0; start < run.length; start += RUN_CHUNK) {
    const chunk = run.slice(start, start + RUN_CHUNK);
    const result = await publishChunk(ctx, chunk);
    acks.push(...result.acks);
    if (result.error !== undefined || result.acks.length < chunk.length) {
      return { acks, error: result.error ?? new Error(`publish of stream ${chunk[0]?.stream_id}: ${result.acks.length} of ${chunk.length} events acknowledged`) };
    }
  }
  return { acks };
}

async function publishChunk(ctx: BatchContext, chunk: readonly OutboxItem[]): Promise<PublishAllResult> {
  const abort = new AbortController();
  const limitMs = ctx.publishTimeoutMs * chunk.length;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<PublishAllResult>((resolve) => {
    timer = setTimeout(() => {
      const error = new Error(`publish of ${chunk.length} event(s) of stream ${chunk[0]?.stream_id} not acknowledged within ${limitMs} ms`);
      abort.abort(error);
      resolve({ acks: [], error });
    }, limitMs);
  });
  const messages = chunk.map((item) => ({ subject: item.subject, data: Buffer.from(item.payload), options: { msgId: item.event_id, headers: headersOf(ctx, item) } }));
  // Through a promise, so that a bus that throws rather than rejects is heard the same way.
  const published = Promise.resolve()
    .then(() => ctx.bus.events.publishAll(messages, { signal: abort.signal }))
    .catch((error: unknown): PublishAllResult => ({ acks: [], error }));
  try {
    return await Promise.race([published, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Publishes the batch in windows: up to `publishWindow` streams in flight, each stream's events
 * in one `publishAll`, so that a refused publish (or one not acknowledged in time) stops its
 * stream for this batch: nothing later of that stream goes out before it — the bus could not
 * take back a later event already sent. The other streams go on. Streams start in the order of
 * their oldest event, so the window follows position order. Answers the event ids acknowledged.
 */
async function publishWindowed(ctx: BatchContext, items: readonly OutboxItem[]) {
  const streams = new Map<string, OutboxItem[]>();
  for (const item of items) {
    const queue = streams.get(item.stream_id);
    if (queue) queue.push(item);
    else streams.set(item.stream_id, [item]);
  }
  const waiting = [...streams.values()];
  const acknowledged = new Set<string>();
  let duplicates = 0;
  let error: unknown;
  // Each lane takes the next waiting stream and publishes it to its end (or its first refusal).
  const lane = async (): Promise<void> => {
    for (let queue = waiting.shift(); queue !== undefined; queue = waiting.shift()) {
      const { acks, error: refused } = await publishRun(ctx, queue);
      acks.forEach((ack, i) => {
        if (ack.duplicate) duplicates++;
        acknowledged.add(queue[i]!.event_id);
      });
      if (refused !== undefined) error ??= refused;
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, ctx.publishWindow), waiting.length) }, lane));
  return { acknowledged, duplicates, error };
}

/**
 * Outbox rows all of whose events were acknowledged. The row of a refused event keeps its
 * published part: republished later, and dropped by the bus as a duplicate.
 */
function completedRows(items: readonly OutboxItem[], acknowledged: ReadonlySet<string>): string[] {
  const rows = new Set(items.map((item) => item.outbox_position));
  for (const item of items) if (!acknowledged.has(item.event_id)) rows.delete(item.outbox_position);
  return [...rows];
}

/**
 * The events of the oldest outbox rows, in publish order: by row (the append's first position)
 * and, within a row, by version. A row names its append (stream, first version, one subject per
 * event); its events are read by a LATERAL subquery whose LIMIT keeps the planner from turning
 * it into a join, so each row costs one range scan of UNIQUE(stream_id, version) whatever the
 * statistics say (a hash join over the whole events table was seen after a bulk load). Events
 * rows are never deleted, so every row finds its events. The payload is the envelope the append
 * returned: same fields, occurredAt in the form of Date.toISOString. Order by the columns, not
 * the text aliases (those would sort "10" before "9").
 */
export function outboxBatchSql(schema: string): string {
  return `
    SELECT o.position::text AS outbox_position, o.stream_id, e.position::text AS position, o.subjects[e.version - o.first_version + 1] AS subject,
           e.id::text AS event_id,
           jsonb_build_object('id', e.id, 'type', e.type, 'stream', e.stream_id, 'version', e.version,
             'occurredAt', to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'data', e.data, 'meta', e.meta)::text AS payload,
           e.meta->>'traceparent' AS traceparent, e.meta->>'tracestate' AS tracestate
    FROM (SELECT position, stream_id, first_version, subjects FROM "${schema}".outbox ORDER BY position LIMIT $1) o
    CROSS JOIN LATERAL (
      SELECT * FROM "${schema}".events
      WHERE stream_id = o.stream_id AND version >= o.first_version
      ORDER BY version
      LIMIT cardinality(o.subjects)
    ) e
    ORDER BY o.position, e.version`;
}

/** A literal for SQL sent without parameters (the simple protocol, which allows several statements). */
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * The relay's three statements (take the lock, read the batch, delete what was published), which
 * a batch sends in the simple protocol so that several go in one round trip. That protocol takes
 * no named statements, so they are PREPAREd on each connection the first time it relays, and a
 * batch EXECUTEs them: Postgres parses and plans them once a connection instead of at every batch
 * (the read's planning alone was about 0.15 ms of the server a batch, measured with
 * pg_stat_statements, and a relay runs a batch or more a step when the load is light). The read
 * takes no parameter (its batch size is in its text); its plan is made in the batch's transaction,
 * under BATCH_SETTINGS, and made again when the tables' statistics or definitions change. Each is
 * named by a digest of its text, which holds the schema and the batch size: a pool shared by
 * several stores prepares each store's own.
 */
export interface RelayStatements {
  readonly lock: string;
  readonly read: string;
  readonly done: string;
  /** The PREPARE statements of the three, in one text. */
  readonly prepare: string;
  /** The three as plain SQL, for connections that do not keep prepared statements (see keepsPrepared). */
  readonly plain: { readonly lock: string; readonly read: string; done(positions: string): string };
}

const statementsOf = new Map<string, RelayStatements>();

export function relayStatements(schema: string, batchSize: number): RelayStatements {
  const key = `${schema}\u0000${batchSize}`;
  const known = statementsOf.get(key);
  if (known) return known;
  const plain = {
    lock: `SELECT pg_try_advisory_xact_lock(hashtextextended(${literal(relayLockName(schema))}, 0)) AS locked`,
    read: outboxBatchSql(schema).replace('$1', String(batchSize)),
    done: (positions: string) => `DELETE FROM "${schema}".outbox WHERE position = ANY(${positions})`,
  };
  // Named by a digest of their text: a session that still holds an older version's statement (a
  // pooler keeps sessions across deploys) never runs it in place of this one.
  const name = (what: string, text: string): string => `cadre_relay_${what}_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
  const [lock, read, done] = [name('lock', plain.lock), name('read', plain.read), name('done', plain.done('$1'))];
  const statements: RelayStatements = {
    lock, read, done, plain,
    prepare: [
      `PREPARE ${lock} AS ${plain.lock}`,
      `PREPARE ${read} AS ${plain.read}`,
      `PREPARE ${done} (bigint[]) AS ${plain.done('$1')}`,
    ].join(';\n'),
  };
  statementsOf.set(key, statements);
  return statements;
}

/** The statements each connection has prepared (a connection replaced by the pool starts with none). */
const preparedOn = new WeakMap<PoolClient, Set<string>>();

async function prepared(client: PoolClient, statements: RelayStatements): Promise<void> {
  const known = preparedOn.get(client);
  if (known?.has(statements.read)) return;
  await client.query(statements.prepare);
  if (known) known.add(statements.read);
  else preparedOn.set(client, new Set([statements.read]));
}

/**
 * How often a pool's connections were found not to be the relay's alone (see isSessionShared). Once
 * may be a session reset: that connection is dropped and the next prepares them again. Twice, the pool's
 * connections do not keep them (a pooler in transaction mode hands each transaction whichever
 * server connection is free, and PgBouncer keeps only statements prepared by the protocol, not by
 * PREPARE): the relay then sends its statements as plain SQL, planned at each batch.
 */
const lostOn = new WeakMap<Pool, number>();
const LOST_LIMIT = 2;

/** Whether a relay on `pool` prepares its statements (see lostOn). */
export function keepsPrepared(pool: Pool): boolean {
  return (lostOn.get(pool) ?? 0) < LOST_LIMIT;
}

/**
 * Settings of the batch's transaction, which is where its statements are planned (a prepared one
 * at its first EXECUTE, and again after its tables' statistics change). The delete's positions are
 * its parameter, and Postgres would plan it for them at each call (such a plan always looks cheaper
 * than the general one): it keeps the general plan. And every statement of the batch reads by an
 * index: a plan made when the outbox held a few rows would otherwise scan the outbox, and each
 * stream's events, sequentially, and keep doing so as a backlog grows (measured: 1.5 s a batch at
 * 60,000 rows, against 6 ms), until the next ANALYZE.
 */
export const BATCH_SETTINGS = ['SET LOCAL plan_cache_mode = force_generic_plan', 'SET LOCAL enable_seqscan = off'] as const;

async function inTransaction(client: PoolClient, ctx: BatchContext): Promise<BatchOutcome> {
  const statements = relayStatements(ctx.schema, Math.floor(ctx.batchSize));
  const prepare = keepsPrepared(ctx.pool);
  if (prepare) await prepared(client, statements);
  // One round trip opens the batch (BATCH_SETTINGS for its plans). The lock is transaction-scoped,
  // so a relay that dies mid-batch lets the next replica in at once. The read is a statement of its
  // own after the lock, so its snapshot includes the last holder's deletes (read committed: one per
  // statement); a replica that did not get the lock ignores what it read.
  const opened = await client.query([
    'BEGIN',
    ...BATCH_SETTINGS,
    prepare ? `EXECUTE ${statements.lock}` : statements.plain.lock,
    prepare ? `EXECUTE ${statements.read}` : statements.plain.read,
  ].join(';\n')) as unknown as QueryResult[];
  const settled = 1 + BATCH_SETTINGS.length;
  if (!(opened[settled] as QueryResult<{ locked: boolean }>).rows[0]?.locked) {
    await client.query('COMMIT');
    return { locked: false, published: 0, duplicates: 0, full: false };
  }
  const rows = (opened[settled + 1] as QueryResult<OutboxItem>).rows;
  const { acknowledged, duplicates, error } = await publishWindowed(ctx, rows);
  const done = completedRows(rows, acknowledged);
  // If this commit is lost, the rows are published again and the bus drops them by msgId.
  // Positions are integers read from the table, so they go in the text as they are.
  const positions = `'{${done.join(',')}}'::bigint[]`;
  const deletion = prepare ? `EXECUTE ${statements.done}(${positions})` : statements.plain.done(positions);
  await client.query(done.length > 0 ? `${deletion};\nCOMMIT` : 'COMMIT');
  const fetched = new Set(rows.map((r) => r.outbox_position)).size;
  return { locked: true, published: acknowledged.size, duplicates, full: fetched === ctx.batchSize, error };
}

/**
 * Publishes the events of the oldest outbox rows (each stream's in order; see publishWindowed)
 * and deletes the rows whose events the bus acknowledged, under a per-schema advisory lock so
 * that replicas never publish side by side.
 */
export async function relayBatch(ctx: BatchContext): Promise<BatchOutcome> {
  const client = await ctx.pool.connect();
  // The batch holds the client while it awaits the bus; a server shutdown in that gap is
  // reported as an 'error' event, which must not go unheard (it would crash the process).
  let broken: unknown;
  const onError = (error: unknown): void => {
    broken = error;
  };
  client.on('error', onError);
  try {
    const outcome = await inTransaction(client, ctx);
    client.off('error', onError);
    client.release();
    return outcome;
  } catch (error) {
    let failure = broken ?? error;
    if (isSessionShared(error)) {
      const lost = (lostOn.get(ctx.pool) ?? 0) + 1;
      lostOn.set(ctx.pool, lost);
      if (lost === LOST_LIMIT) {
        failure = new Error('outbox relay: the pool\'s connections do not keep prepared statements (a pooler in transaction mode?); '
          + 'the relay sends its statements unprepared from now on', { cause: error });
      }
    }
    await client.query('ROLLBACK').catch(() => undefined);
    client.off('error', onError);
    // Handing the error to release drops the connection, which may be the broken part.
    client.release(error instanceof Error ? error : true);
    throw failure;
  }
}
