import { assertSubject, ValidationError } from '@cadre/proto';
import type { PoolClient } from 'pg';
import type { Headers, PublishAck, PublishOptions } from '../../types';
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
  const headers = checkPublish(subject, data, options);
  const text = `SELECT out_seq AS seq, out_duplicate AS duplicate FROM ${db.t('publish')}($1, $2, $3, $4)`;
  const values = [subject, options.msgId, JSON.stringify(headers), Buffer.from(data.buffer, data.byteOffset, data.byteLength)];
  const result = client
    ? await client.query<{ seq: string; duplicate: boolean }>(text, values)
    : await db.query<{ seq: string; duplicate: boolean }>('publish', text, values);
  const row = result.rows[0];
  if (!row) throw new Error('publish returned no row');
  return { seq: Number(row.seq), duplicate: row.duplicate };
}
