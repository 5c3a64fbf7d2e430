import type { PoolClient } from 'pg';
import type { Db } from '../db';
import { filterCondition } from './filter';
import { MESSAGE_COLUMNS, type MessageRow } from './message';

/** A message handed to this replica, with the delivery count that fences its later nak/working. */
export interface Claimed {
  readonly row: MessageRow;
  readonly deliveries: number;
}

export interface ClaimResult {
  /** The consumer no longer exists (deleted). */
  readonly gone: boolean;
  readonly messages: readonly Claimed[];
  readonly ackWaitMs: number;
  /** When the next pending message falls due for redelivery, if any. */
  readonly nextDueMs: number | undefined;
}

interface ConsumerRow {
  readonly filter: string | null;
  readonly ack_wait_ms: number;
  readonly max_deliver: number | null;
  readonly max_ack_pending: number;
  readonly delivered_seq: string;
}

/**
 * Hands up to `want` messages of a durable consumer to the caller: first those due for
 * redelivery, then new ones past its position, within maxAckPending.
 *
 * Replicas (several buses, several processes) share a consumer through the lock on its row:
 * each claim runs in a short transaction holding `FOR UPDATE` on the consumer, so two replicas
 * never hand out the same message, and the position moves strictly forward. A consumer-wide
 * lock is simpler than SKIP LOCKED on messages because the position (a single counter) must be
 * advanced in order anyway; the lock is held only for the few statements of a claim, never
 * while handlers run, so replicas still process in parallel. Waiting (not SKIP LOCKED) on the
 * row matters: a replica woken by a publish must not skip its claim just because another one
 * is mid-claim with an older snapshot.
 */
export async function claimMessages(db: Db, durable: string, want: number): Promise<ClaimResult> {
  return db.tx('claim messages', async (client) => {
    const { rows } = await client.query<ConsumerRow>(
      `SELECT filter, ack_wait_ms, max_deliver, max_ack_pending, delivered_seq FROM ${db.t('consumers')} WHERE name = $1 FOR UPDATE`,
      [durable],
    );
    const consumer = rows[0];
    if (!consumer) return { gone: true, messages: [], ackWaitMs: 0, nextDueMs: undefined };
    const pending = db.t('consumer_pending');
    const ackWait = `now() + $2 * interval '1 millisecond'`;
    if (consumer.max_deliver !== null) {
      // Out of deliveries: given up, like JetStream does once max_deliver is reached.
      await client.query(`DELETE FROM ${pending} WHERE consumer = $1 AND redeliver_at <= now() AND deliveries >= $2`, [durable, consumer.max_deliver]);
    }
    const redelivered = await client.query<{ seq: string; deliveries: number }>(
      `UPDATE ${pending} p SET deliveries = p.deliveries + 1, redeliver_at = ${ackWait}
         FROM (SELECT seq FROM ${pending} WHERE consumer = $1 AND redeliver_at <= now() ORDER BY seq LIMIT $3) due
        WHERE p.consumer = $1 AND p.seq = due.seq
        RETURNING p.seq, p.deliveries`,
      [durable, consumer.ack_wait_ms, want],
    );
    const deliveries = new Map(redelivered.rows.map((r) => [r.seq, r.deliveries]));
    const counted = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${pending} WHERE consumer = $1`, [durable]);
    const room = Math.min(want - deliveries.size, consumer.max_ack_pending - (counted.rows[0]?.n ?? 0));
    if (room > 0) await claimNew(db, client, durable, consumer, room, deliveries);
    const due = await client.query<{ ms: number | null }>(
      `SELECT (extract(epoch FROM min(redeliver_at) - now()) * 1000)::float8 AS ms FROM ${pending} WHERE consumer = $1`,
      [durable],
    );
    const bodies = deliveries.size === 0 ? [] : (await client.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${db.t('stream_messages')} WHERE seq = ANY($1::bigint[]) ORDER BY seq`,
      [[...deliveries.keys()]],
    )).rows;
    const dueMs = due.rows[0]?.ms;
    return {
      gone: false,
      ackWaitMs: consumer.ack_wait_ms,
      messages: bodies.map((row) => ({ row, deliveries: deliveries.get(row.seq) ?? 1 })),
      nextDueMs: dueMs === null || dueMs === undefined ? undefined : Math.max(0, dueMs),
    };
  });
}

/**
 * Moves the position over up to `room` new matching messages and records them as pending.
 * The scan and the stream head come from one statement (one snapshot): when fewer than `room`
 * matched, everything up to the head has been seen and the position jumps there, so messages
 * the filter skips are scanned once, not on every claim.
 */
async function claimNew(db: Db, client: PoolClient, durable: string, consumer: ConsumerRow, room: number, deliveries: Map<string, number>): Promise<void> {
  const filter = filterCondition(consumer.filter, 3);
  const messages = db.t('stream_messages');
  const { rows } = await client.query<{ last: string; seqs: string[] }>(
    `SELECT (SELECT coalesce(max(seq), 0) FROM ${messages}) AS last,
            coalesce((SELECT array_agg(seq ORDER BY seq) FROM (
              SELECT seq FROM ${messages} WHERE seq > $1 AND ${filter.sql} ORDER BY seq LIMIT $2) picked), '{}') AS seqs`,
    [consumer.delivered_seq, room, ...filter.values],
  );
  const seqs = rows[0]?.seqs ?? [];
  const cursor = BigInt(consumer.delivered_seq);
  const next = seqs.length < room
    ? maxBig(cursor, BigInt(rows[0]?.last ?? '0'))
    : BigInt(seqs[seqs.length - 1] ?? '0');
  if (seqs.length > 0) {
    await client.query(
      `INSERT INTO ${db.t('consumer_pending')} (consumer, seq, deliveries, redeliver_at)
       SELECT $1, s, 1, now() + $2 * interval '1 millisecond' FROM unnest($3::bigint[]) AS s`,
      [durable, consumer.ack_wait_ms, seqs],
    );
    for (const seq of seqs) deliveries.set(seq, 1);
  }
  if (next !== cursor) {
    await client.query(`UPDATE ${db.t('consumers')} SET delivered_seq = $2 WHERE name = $1`, [durable, next.toString()]);
  }
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
