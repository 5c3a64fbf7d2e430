import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { JetStreamApiError, JetStreamError, PubHeaders } from '@nats-io/jetstream';
import type { JsMsg } from '@nats-io/jetstream';
import type { Connection } from './connection';

/** How long a JetStream publish or a confirmed ack waits for the server (the client's API timeout). */
export const JETSTREAM_TIMEOUT_MS = 5_000;

const ACK = Uint8Array.of(43, 65, 67, 75); // "+ACK"

interface PubAck {
  readonly stream?: string;
  readonly seq?: number;
  readonly duplicate?: boolean;
  readonly error?: { readonly code: number; readonly err_code: number; readonly description: string };
}

/**
 * Publishes to a JetStream stream and returns where the stream stored it. A JetStream publish is a
 * request whose reply is the stream's ack (`{stream, seq, duplicate}` or `{error}`); sent through
 * the connection's replies (see replies.ts) rather than `js.publish`, whose request builds an
 * `Error` for every ack. Errors are nats.js's own classes (`JetStreamApiError`), which
 * `mapNatsError` turns into CadreErrors as before. `msgId` rides in `Nats-Msg-Id`: the stream
 * stores a message once within its duplicate window.
 */
export async function publishToStream(
  conn: Pick<Connection, 'replies'>, subject: string, data: Uint8Array,
  options: { readonly msgId?: string; readonly headers?: MsgHdrs; readonly what: string },
): Promise<{ seq: number; duplicate: boolean }> {
  let headers = options.headers;
  if (options.msgId !== undefined) {
    headers ??= natsHeaders();
    headers.set(PubHeaders.MsgIdHdr, options.msgId);
  }
  const reply = await conn.replies.request(subject, data, { timeoutMs: JETSTREAM_TIMEOUT_MS, what: options.what, ...(headers !== undefined ? { headers } : {}) });
  let ack: PubAck;
  try {
    ack = reply.json<PubAck>();
  } catch {
    throw new JetStreamError('invalid ack response');
  }
  if (ack.error !== undefined) throw new JetStreamApiError(ack.error);
  if (typeof ack.stream !== 'string' || ack.stream === '' || typeof ack.seq !== 'number') throw new JetStreamError('invalid ack response');
  return { seq: ack.seq, duplicate: ack.duplicate === true };
}

/**
 * Acks a JetStream delivery and waits for the server to confirm it (the `+ACK` sent as a request,
 * as `JsMsg.ackAck` does, through the connection's replies): once it resolves, the server will not
 * redeliver. A delivery with no reply subject has nothing to ack.
 */
export async function confirmAck(conn: Pick<Connection, 'replies'>, msg: JsMsg, what: string): Promise<void> {
  // nats.js's delivery carries its ack subject as `reply` (not in the JsMsg interface); a client
  // version without it acks through its own ackAck.
  const reply = (msg as JsMsg & { readonly reply?: unknown }).reply;
  if (typeof reply !== 'string') {
    await msg.ackAck();
    return;
  }
  if (reply === '') return;
  await conn.replies.request(reply, ACK, { timeoutMs: JETSTREAM_TIMEOUT_MS, what });
}
