import { assertSubject, ValidationError } from '@cadre/proto';
import type { PoolClient } from 'pg';
import type { Headers, PublishAck, PublishOptions } from '../../types';
import { groupCommit } from '../../group-commit';
import type { Db } from '../db';
import { outgoingHeaders } from '../headers';

/** Subjects of the durable stream (the NATS transport's stream holds `evt.>`). */
export const STREAM_PREFIX = 'evt.';

/** Throws a ValidationError unless the arguments make a publishable event. */
export function checkPublish(subject: string, data: Uint8Array, options: PublishOptions | undefined): Headers {
  assertSubject(subject);
  if (!subject.startsWith(STREAM_PREFIX)) throw new ValidationError(`event subjects start with "${STREAM_PREFIX}"`, { subject });
  if (!(data instanceof Uint8Array)) throw new ValidationError('data must be a Uint8Array');
  const msgId = options?.msgId;
  if (typeof msgId !== 'string' || msgId.length === 0 || msgId.length > 512) {
    throw new ValidationError('msgId must be a non-empty string of at most 512 characters');
  }
  return outgoingHeaders(options?.headers);
}

/**
 * Appends to the stream through the `publish` SQL function: one round trip that takes the
 * stream's advisory lock, drops a known msgId, and numbers the message max+1. Serialising
 * publishes costs throughput (one commit at a time), but it is what lets readers trust that
 * sequences become visible in order, with no gaps — see replay.ts.
 */
export async function publishEvent(
  db: Db,
  subject: string,
  data: Uint8Array,
  options: PublishOptions,
  client?: PoolClient,
): Promise<PublishAck> {
  return insertMessage(db, subject, options.msgId!, checkPublish(subject, data, options), data, client);
}

/** publishEvent once checkPublish passed (its headers are the ones stored). */
async function insertMessage(db: Db, subject: string, msgId: string, headers: Headers, data: Uint8Array, client?: PoolClient): Promise<PublishAck> {
  const text = `SELECT out_seq AS seq, out_duplicate AS duplicate FROM ${db.t('publish')}($1, $2, $3, $4)`;
  const values = [subject, msgId, JSON.stringify(headers), Buffer.from(data.buffer, data.byteOffset, data.byteLength)];
  const result = client
    ? await client.query<{ seq: string; duplicate: boolean }>(text, values)
    : await db.query<{ seq: string; duplicate: boolean }>('publish', text, values);
  const row = result.rows[0];
  if (!row) throw new Error('publish returned no row');
  return { seq: Number(row.seq), duplicate: row.duplicate };
}

/** A publish waiting for its statement (see groupedPublishes), checked by checkPublish. */
export interface PendingPublish {
  readonly subject: string;
  readonly msgId: string;
  readonly headers: Headers;
  readonly data: Uint8Array;
  resolve(ack: PublishAck): void;
  reject(error: unknown): void;
}

/** Most publishes one statement carries. */
const MAX_PUBLISHES = 256;
/**
 * Statements in flight before publishes wait here: the stream's lock queues them in Postgres,
 * which hands over at each commit with no round trip back to this process (with one in flight,
 * a step's publish waited for another's reply: +1 ms a step, one run at a time).
 */
const PUBLISHES_IN_FLIGHT = 4;

/**
 * The stream's publishes of one bus, several in one statement when they come while
 * PUBLISHES_IN_FLIGHT are committing (see groupCommit). Every publish takes the stream's lock and
 * commits alone anyway, so those that waited go in one transaction that takes it once: `publish` is called for
 * each in the order they were made (a msgId met earlier in the statement is a duplicate, as it
 * would be alone), so sequences follow that order.
 */
export function groupedPublishes(db: Db): (publish: PendingPublish) => void {
  return groupCommit<PendingPublish, PublishAck>({
    alone: (item) => insertMessage(db, item.subject, item.msgId, item.headers, item.data).then(item.resolve, item.reject),
    async together(items) {
      const { rows } = await db.query<{ seq: string; duplicate: boolean }>('publish',
        `SELECT p.out_seq AS seq, p.out_duplicate AS duplicate
           FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::bytea[]) WITH ORDINALITY AS m(subject, msg_id, headers, data, ord)
           CROSS JOIN LATERAL ${db.t('publish')}(m.subject, m.msg_id, m.headers, m.data) p
          ORDER BY m.ord`,
        [
          items.map((item) => item.subject), items.map((item) => item.msgId), items.map((item) => JSON.stringify(item.headers)),
          items.map((item) => Buffer.from(item.data.buffer, item.data.byteOffset, item.data.byteLength)),
        ]);
      if (rows.length !== items.length) throw new Error(`publish: ${items.length} messages sent, ${rows.length} answered`);
      return rows.map((row) => ({ seq: Number(row.seq), duplicate: row.duplicate }));
    },
    settle: (item, ack) => item.resolve(ack),
  }, { inFlight: PUBLISHES_IN_FLIGHT, maxSize: MAX_PUBLISHES });
}
