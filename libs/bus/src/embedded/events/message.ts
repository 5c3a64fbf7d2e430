import { decodeJson } from '../../codec';
import type { StreamMessage } from '../../types';
import { storedHeaders } from '../headers';

/** A row of stream_messages as the driver returns it. */
export interface MessageRow {
  readonly seq: string;
  readonly subject: string;
  readonly msg_id: string;
  readonly headers: unknown;
  readonly data: Buffer;
  readonly time: Date;
}

/** Columns to select for a MessageRow. */
export const MESSAGE_COLUMNS = 'seq, subject, msg_id, headers, data, time';

/** The bus form of a stored message (its own copy of the bytes). */
export function toStreamMessage(row: MessageRow): StreamMessage {
  const data = new Uint8Array(row.data);
  return Object.freeze({
    seq: Number(row.seq),
    subject: row.subject,
    msgId: row.msg_id,
    headers: storedHeaders(row.headers),
    data,
    time: row.time,
    json: <T>() => decodeJson<T>(data),
  });
}
