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
    : await db.prepared<{ seq: string; duplicate: boolean }>('publish', text, values);
  const row = result.rows[0];
  if (!row) throw new Error('publish returned no row');
  return { seq: Number(row.seq), duplicate: row.duplicate };
}

/** A message checked by checkPublish, waiting for its statement. */
export interface CheckedMessage {
  readonly subject: string;
  readonly msgId: string;
  readonly headers: Headers;
  readonly data: Uint8Array;
}

/**
 * Publishes waiting for their statement (see groupedPublishes): one message of `publish`, or
 * the messages of one `publishAll`, which are stored all or none.
 */
export interface PendingPublish {
  readonly messages: readonly CheckedMessage[];
  resolve(acks: readonly PublishAck[]): void;
  reject(error: unknown): void;
}

/** Most messages one statement carries (a `publishAll` larger than this goes alone, whole). */
const MAX_PUBLISHES = 256;
/**
 * Statements in flight before publishes wait here: the stream's lock queues them in Postgres,
 * which hands over at each commit with no round trip back to this process (with one in flight,
 * a step's publish waited for another's reply: +1 ms a step, one run at a time).
 */
const PUBLISHES_IN_FLIGHT = 4;

/**
 * The messages in one statement, in their order: `publish_many` answers as `publish` called for
 * each would (a msgId met earlier in the statement is a duplicate, as it would be alone), so
 * sequences follow that order. One statement is one transaction: if any message is refused, none
 * is stored.
 */
async function insertMessages(db: Db, messages: readonly CheckedMessage[]): Promise<PublishAck[]> {
  const { rows } = await db.prepared<{ seq: string; duplicate: boolean }>('publish',
    `SELECT seq, duplicate FROM ${db.t('publish_many')}($1::text[], $2::text[], $3::jsonb[], $4::bytea[])`,
    [
      messages.map((m) => m.subject), messages.map((m) => m.msgId), messages.map((m) => JSON.stringify(m.headers)),
      messages.map((m) => Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength)),
    ]);
  if (rows.length !== messages.length) throw new Error(`publish: ${messages.length} messages sent, ${rows.length} answered`);
  return rows.map((row) => ({ seq: Number(row.seq), duplicate: row.duplicate }));
}

/**
 * The stream's publishes of one bus, several in one statement when they come while
 * PUBLISHES_IN_FLIGHT are committing (see groupCommit). Every publish takes the stream's lock and
 * commits alone anyway, so those that waited go in one transaction that takes it once, in the
 * order they were made. A `publishAll` is one item: alone it is still one statement, so its
 * messages are stored all or none even when its group's statement failed and each item is
 * tried again by itself.
 */
export function groupedPublishes(db: Db): (publish: PendingPublish) => void {
  const alone = (messages: readonly CheckedMessage[]): Promise<PublishAck[]> => {
    const only = messages.length === 1 ? messages[0]! : undefined;
    return only ? insertMessage(db, only.subject, only.msgId, only.headers, only.data).then((ack) => [ack]) : insertMessages(db, messages);
  };
  return groupCommit<PendingPublish, readonly PublishAck[]>({
    alone: (item) => alone(item.messages).then(item.resolve, item.reject),
    async together(items) {
      const acks = await insertMessages(db, items.flatMap((item) => item.messages));
      let at = 0;
      return items.map((item) => acks.slice(at, (at += item.messages.length)));
    },
    settle: (item, acks) => item.resolve(acks),
    sizeOf: (item) => item.messages.length,
  }, { inFlight: PUBLISHES_IN_FLIGHT, maxSize: MAX_PUBLISHES });
}
