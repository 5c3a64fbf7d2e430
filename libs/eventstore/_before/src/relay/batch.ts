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
  /** True when the batch was full, so more rows are probably waiting. */
  readonly full: boolean;
  /** The publish that stopped the batch early; rows before it were published and deleted. */
  readonly error?: unknown;
}

interface OutboxItem {
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
  const published: string[] = [];
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
      published.push(item.position);
    } catch (error) {
      return { published, duplicates, error };
    }
  }
  return { published, duplicates, error: undefined };
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
  const { rows } = await client.query<OutboxItem>(
    // Order by the column, not the text alias of the same name (that would sort "10" before "9").
    `SELECT o.position::text AS position, o.event_id::text AS event_id, o.subject, o.payload::text AS payload,
            o.payload->'meta'->>'traceparent' AS traceparent, o.payload->'meta'->>'tracestate' AS tracestate
     FROM ${outbox} o ORDER BY o.position LIMIT $1`,
    [ctx.batchSize],
  );
  const { published, duplicates, error } = await publishInOrder(ctx, rows);
  if (published.length > 0) await client.query(`DELETE FROM ${outbox} WHERE position = ANY($1::bigint[])`, [published]);
  // If this commit is lost, the rows are published again and the bus drops them by msgId.
  await client.query('COMMIT');
  return { locked: true, published: published.length, duplicates, full: rows.length === ctx.batchSize, error };
}

/**
 * Publishes the oldest outbox rows in position order and deletes those the bus acknowledged,
 * under a per-schema advisory lock so that replicas never publish side by side.
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
