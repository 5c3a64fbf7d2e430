import type { Pool, PoolClient } from 'pg';
import type { Bus } from '@cadre/bus';
import { relayLockName } from '../connection';

export interface BatchContext {
  readonly pool: Pool;
  readonly schema: string;
  readonly bus: Pick<Bus, 'events'>;
  readonly batchSize: number;
  readonly publishTimeoutMs: number;
}

export interface BatchOutcome {
  /** False when another relay replica holds the lock; this one published nothing. */
  readonly locked: boolean;
  readonly published: number;
  readonly duplicates: number;
  /** True when the batch was full (batchSize outbox rows), so more are probably waiting. */
  readonly full: boolean;
  /** The publish that stopped the batch early; appends before it were published and deleted. */
  readonly error?: unknown;
}

/** One event to publish: its outbox row (one per append) and its own position. */
interface OutboxItem {
  readonly outbox_position: string;
  readonly position: string;
  readonly event_id: string;
  readonly subject: string;
  readonly payload: string;
  readonly traceparent: string | null;
  readonly tracestate: string | null;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} not acknowledged within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
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

async function publishInOrder(ctx: BatchContext, items: readonly OutboxItem[]) {
  let published = 0;
  let duplicates = 0;
  for (const item of items) {
    try {
      // One at a time, each awaited: a later event never overtakes an earlier one that failed.
      const ack = await withTimeout(
        ctx.bus.events.publish(item.subject, Buffer.from(item.payload), {
          msgId: item.event_id,
          headers: headersOf(ctx, item),
        }),
        ctx.publishTimeoutMs,
        `publish of event ${item.event_id}`,
      );
      if (ack.duplicate) duplicates++;
      published++;
    } catch (error) {
      return { published, duplicates, error };
    }
  }
  return { published, duplicates, error: undefined };
}

/** Outbox rows all of whose events are among the first `published` items (rows are contiguous). */
function completedRows(items: readonly OutboxItem[], published: number): string[] {
  const rows = new Set(items.slice(0, published).map((item) => item.outbox_position));
  // The row of the first unpublished event keeps its published part: republished later, and
  // dropped by the bus as a duplicate.
  if (published < items.length) rows.delete(items[published]!.outbox_position);
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
    SELECT o.position::text AS outbox_position, e.position::text AS position, o.subjects[e.version - o.first_version + 1] AS subject,
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

async function inTransaction(client: PoolClient, ctx: BatchContext): Promise<BatchOutcome> {
  const outbox = `"${ctx.schema}".outbox`;
  await client.query('BEGIN');
  // Transaction-scoped, so a relay that dies mid-batch lets the next replica in at once.
  const lock = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked', [relayLockName(ctx.schema)]);
  if (!lock.rows[0]?.locked) {
    await client.query('COMMIT');
    return { locked: false, published: 0, duplicates: 0, full: false };
  }
  // A separate statement after the lock, so its snapshot includes the last holder's deletes.
  const { rows } = await client.query<OutboxItem>(outboxBatchSql(ctx.schema), [ctx.batchSize]);
  const { published, duplicates, error } = await publishInOrder(ctx, rows);
  const done = completedRows(rows, published);
  if (done.length > 0) await client.query(`DELETE FROM ${outbox} WHERE position = ANY($1::bigint[])`, [done]);
  // If this commit is lost, the rows are published again and the bus drops them by msgId.
  await client.query('COMMIT');
  const fetched = new Set(rows.map((r) => r.outbox_position)).size;
  return { locked: true, published, duplicates, full: fetched === ctx.batchSize, error };
}

/**
 * Publishes the events of the oldest outbox rows in order and deletes the rows whose events the
 * bus acknowledged, under a per-schema advisory lock so that replicas never publish side by side.
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
    await client.query('ROLLBACK').catch(() => undefined);
    client.off('error', onError);
    // Handing the error to release drops the connection, which may be the broken part.
    client.release(error instanceof Error ? error : true);
    throw broken ?? error;
  }
}
