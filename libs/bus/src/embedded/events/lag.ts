import { assertName } from '@cadre/proto';
import type { ConsumerLag } from '../../types';
import type { Db } from '../db';
import { filterCondition } from './filter';

/**
 * The embedded equivalent of JetStream's `num_pending` and `num_ack_pending`: stored messages
 * matching the consumer's filter past its position, and its pending rows (delivered, not yet
 * settled) less those out of deliveries, which JetStream drops once their last ack wait ends.
 * Both counts come from one snapshot, so a claim in between cannot count a message twice.
 */
export async function consumerLag(db: Db, durable: string): Promise<ConsumerLag | undefined> {
  assertName('durable', durable);
  return db.tx('consumer lag', async (client) => {
    await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ filter: string | null; delivered_seq: string; ack_pending: number }>(
      `SELECT c.filter, c.delivered_seq,
              (SELECT count(*) FROM ${db.t('consumer_pending')} p
                WHERE p.consumer = c.name
                  AND (c.max_deliver IS NULL OR p.deliveries < c.max_deliver OR p.redeliver_at > now()))::int AS ack_pending
         FROM ${db.t('consumers')} c WHERE c.name = $1`,
      [durable],
    );
    const consumer = rows[0];
    if (!consumer) return undefined;
    const filter = filterCondition(consumer.filter, 2);
    const counted = await client.query<{ pending: string }>(
      `SELECT count(*) AS pending FROM ${db.t('stream_messages')} WHERE seq > $1 AND ${filter.sql}`,
      [consumer.delivered_seq, ...filter.values],
    );
    return { pending: Number(counted.rows[0]?.pending ?? 0), ackPending: consumer.ack_pending };
  });
}
