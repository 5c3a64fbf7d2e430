import type { JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/nats-core';
import { decodeJson } from '../codec';
import type { DeliveredMessage, StreamMessage } from '../types';
import type { Connection } from './connection';
import { mapNatsError } from './errors';
import { fromNatsHeaders } from './headers';
import { confirmAck } from './stream-publish';

const MSG_ID = 'Nats-Msg-Id';

/** A stored message as the bus shows it. */
export function streamMessage(msg: { seq: number; subject: string; headers: MsgHdrs | undefined; data: Uint8Array; time: Date }): StreamMessage {
  const headers = fromNatsHeaders(msg.headers);
  const data = msg.data;
  return {
    seq: msg.seq,
    subject: msg.subject,
    msgId: headers[MSG_ID] ?? '',
    headers,
    data,
    time: msg.time,
    json: <T>() => decodeJson<T>(data),
  };
}

/** Settlement state of a delivery, so the runner knows whether the handler already answered. */
export interface Settlement {
  settled: boolean;
}

/** A JetStream delivery with its ack methods; `settlement` records whether it was answered. */
export function deliveredMessage(msg: JsMsg, settlement: Settlement, conn: Pick<Connection, 'whenConnected' | 'replies'>): DeliveredMessage {
  const base = streamMessage({ seq: msg.seq, subject: msg.subject, headers: msg.headers, data: msg.data, time: msg.time });
  const settle = (fn: () => void): Promise<void> => {
    settlement.settled = true;
    fn();
    return Promise.resolve();
  };
  return {
    ...base,
    deliveryCount: msg.info.deliveryCount,
    ack: async () => {
      settlement.settled = true;
      try {
        // A confirmed ack: once it resolves, the server will not redeliver.
        await confirmAck(conn, msg, `ack ${msg.subject}`);
      } catch (error) {
        // Unconfirmed (e.g. the connection dropped): ack again once connected, so the message
        // does not come back after its ack wait, and tell the handler.
        conn.whenConnected(() => msg.ack());
        throw mapNatsError(error, 'ack');
      }
    },
    // Fire-and-forget: held through an outage rather than lost (see Connection.whenConnected).
    nak: (delayMs) => settle(() => conn.whenConnected(() => msg.nak(delayMs !== undefined && delayMs > 0 ? delayMs : undefined))),
    term: () => settle(() => conn.whenConnected(() => msg.term())),
    working: () => {
      conn.whenConnected(() => msg.working());
      return Promise.resolve();
    },
  };
}
