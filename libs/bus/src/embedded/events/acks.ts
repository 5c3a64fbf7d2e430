import { NotFoundError, ValidationError } from '@cadre/proto';
import type { DeliveredMessage } from '../../types';
import { groupCommit } from '../../group-commit';
import type { Db } from '../db';
import type { Claimed } from './claim';
import { toStreamMessage } from './message';

/** A delivered message plus what the consumer loop needs to know about it afterwards. */
export interface Delivery {
  readonly message: DeliveredMessage;
  /** True once ack, nak or term succeeded. */
  settled(): boolean;
}

/**
 * Builds the message a handler gets. ack and term are not fenced by the delivery count (the
 * work is done / unwanted whoever holds it now); nak and working are, so a replica that lost
 * the message to a redelivery cannot push back the new holder's deadline.
 */
export function toDelivery(
  db: Db,
  removals: (removal: PendingRemoval) => void,
  durable: string,
  claimed: Claimed,
  onSettled: () => void,
  onNak: (delayMs: number) => void,
): Delivery {
  let settled = false;
  const pending = db.t('consumer_pending');
  const key = [durable, claimed.row.seq];
  const settle = (): void => {
    settled = true;
    onSettled();
  };
  const remove = async (what: string): Promise<void> => {
    const found = await new Promise<boolean>((resolve, reject) => removals({ durable, seq: claimed.row.seq, resolve, reject }));
    if (!found) await assertConsumer(db, durable, what);
    settle();
  };
  const message: DeliveredMessage = {
    ...toStreamMessage(claimed.row),
    deliveryCount: claimed.deliveries,
    ack: () => remove('ack'),
    term: () => remove('term'),
    nak: async (delayMs = 0) => {
      if (!Number.isFinite(delayMs) || delayMs < 0) throw new ValidationError('nak delay must be a non-negative number of ms');
      const { rowCount } = await db.query('nak',
        `UPDATE ${pending} SET redeliver_at = now() + $4 * interval '1 millisecond' WHERE consumer = $1 AND seq = $2 AND deliveries = $3`,
        [...key, claimed.deliveries, Math.round(delayMs)]);
      if (!rowCount) await assertConsumer(db, durable, 'nak');
      settle();
      onNak(Math.round(delayMs));
    },
    working: async () => {
      const { rowCount } = await db.query('working',
        `UPDATE ${pending} p SET redeliver_at = now() + c.ack_wait_ms * interval '1 millisecond'
           FROM ${db.t('consumers')} c WHERE c.name = $1 AND p.consumer = $1 AND p.seq = $2 AND p.deliveries = $3`,
        [...key, claimed.deliveries]);
      if (!rowCount) await assertConsumer(db, durable, 'working');
    },
  };
  return { message: Object.freeze(message), settled: () => settled };
}

/** An ack or term waiting for its statement: resolves with whether the message was still pending. */
export interface PendingRemoval {
  readonly durable: string;
  readonly seq: string;
  resolve(found: boolean): void;
  reject(error: unknown): void;
}

/**
 * The acks and terms of one bus (both remove the message from its consumer's pending), several
 * in one statement when they come while others are committing (see groupCommit), in the order
 * of consumer and sequence, the order a claim locks them in.
 */
export function groupedRemovals(db: Db): (removal: PendingRemoval) => void {
  const pending = db.t('consumer_pending');
  return groupCommit<PendingRemoval, boolean>({
    alone: (item) => db.prepared('ack', `DELETE FROM ${pending} WHERE consumer = $1 AND seq = $2`, [item.durable, item.seq])
      .then(({ rowCount }) => item.resolve((rowCount ?? 0) > 0), item.reject),
    async together(items) {
      const sorted = [...items].sort((a, b) => (a.durable === b.durable ? Number(a.seq) - Number(b.seq) : a.durable < b.durable ? -1 : 1));
      const { rows } = await db.query<{ consumer: string; seq: string }>('ack',
        `DELETE FROM ${pending} p USING unnest($1::text[], $2::bigint[]) AS r(consumer, seq)
          WHERE p.consumer = r.consumer AND p.seq = r.seq RETURNING p.consumer, p.seq::text AS seq`,
        [sorted.map((item) => item.durable), sorted.map((item) => item.seq)]);
      const found = new Set(rows.map((row) => `${row.consumer}\u0000${row.seq}`));
      return items.map((item) => found.has(`${item.durable}\u0000${item.seq}`));
    },
    settle: (item, found) => item.resolve(found),
  }, { inFlight: 1, maxSize: 256 });
}

/**
 * Pushes the deadline of a message that waited in this replica's batch; false when it is no
 * longer ours (acked, or redelivered to someone else), and then it must not be handled here.
 */
export async function renewClaim(db: Db, durable: string, claimed: Claimed): Promise<boolean> {
  const { rowCount } = await db.query('renew claim',
    `UPDATE ${db.t('consumer_pending')} p SET redeliver_at = now() + c.ack_wait_ms * interval '1 millisecond'
       FROM ${db.t('consumers')} c WHERE c.name = $1 AND p.consumer = $1 AND p.seq = $2 AND p.deliveries = $3`,
    [durable, claimed.row.seq, claimed.deliveries]);
  return (rowCount ?? 0) > 0;
}

/** Gives back messages this replica claimed but never handed to its handler (they do not count as deliveries). */
export async function releaseClaims(db: Db, durable: string, claims: readonly Claimed[]): Promise<void> {
  if (claims.length === 0) return;
  await db.query('release claims',
    `UPDATE ${db.t('consumer_pending')} p SET deliveries = p.deliveries - 1, redeliver_at = now()
       FROM unnest($2::bigint[], $3::int[]) AS r(seq, deliveries)
      WHERE p.consumer = $1 AND p.seq = r.seq AND p.deliveries = r.deliveries`,
    [durable, claims.map((c) => c.row.seq), claims.map((c) => c.deliveries)]);
}

async function assertConsumer(db: Db, durable: string, what: string): Promise<void> {
  const { rows } = await db.query(what, `SELECT 1 FROM ${db.t('consumers')} WHERE name = $1`, [durable]);
  if (rows.length === 0) throw new NotFoundError(`${what}: consumer "${durable}" does not exist`, { durable });
}
