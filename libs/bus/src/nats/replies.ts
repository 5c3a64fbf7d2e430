import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { CadreError, TimeoutError, UnavailableError } from '@cadre/proto';

interface Pending {
  readonly resolve: (reply: Msg) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
  readonly what: string;
  /** The inbox prefix its reply subject has. */
  readonly prefix: string;
}

/** Sends requests and hands each its reply: what the bus needs of request/reply on NATS. */
export interface Replies {
  /** Publishes `data` to `subject` with a reply subject of ours; settles with the reply, a TimeoutError or an UnavailableError. */
  request(subject: string, data: Uint8Array, options: { timeoutMs: number; headers?: MsgHdrs; what: string }): Promise<Msg>;
}

/**
 * Request/reply over one wildcard inbox subscription per connection — the pattern the NATS
 * protocol defines (a publish with a reply subject; a 503 status message back when nobody
 * subscribes to the subject), on the client's own subscribe and publish.
 *
 * Why not `nc.request`: nats.js 3.4 constructs an `Error` (a stack captured) for every reply it
 * delivers — its request object rejects an already resolved promise with a "cancelled" error once
 * done, whatever the connection's options — which was the largest single item of the gateway's
 * own CPU for a query (3 %) and is paid twice a step by the agent executor's reports. Here a reply
 * costs a map lookup and a cleared timer, and errors are built only when something failed.
 */
export function replies(nc: NatsConnection): Replies {
  const pending = new Map<string, Pending>();
  /** The prefix of the live inbox subscription's subject. */
  let inbox: string | undefined;
  let next = 0;

  const settle = (token: string): Pending | undefined => {
    const request = pending.get(token);
    if (request === undefined) return undefined;
    pending.delete(token);
    clearTimeout(request.timer);
    return request;
  };

  const open = (): string => {
    if (inbox !== undefined) return inbox;
    // The connection keeps the client's default inbox prefix (`_INBOX`), as nats.js's own requests do.
    const prefix = `${createInbox()}.`;
    const subscription = nc.subscribe(`${prefix}*`, {
      callback: (error, msg) => {
        if (error !== null) return; // the subscription's end (below) fails what it still holds
        const request = settle(msg.subject.slice(prefix.length));
        if (request === undefined) return; // a reply after its request timed out: nobody waits for it
        let noResponders: boolean;
        try {
          noResponders = msg.data.length === 0 && msg.headers?.code === 503;
        } catch {
          // Headers the client cannot decode (a foreign responder): the request fails now, not never.
          request.reject(new CadreError('internal', `${request.what}: the reply's headers are unreadable`));
          return;
        }
        if (noResponders) request.reject(new UnavailableError(`${request.what}: no responders`));
        else request.resolve(msg);
      },
    });
    inbox = prefix;
    // A closed connection, a drain or a permissions error ends the subscription: what waits on it
    // fails now (not at its timeout), and the next request subscribes afresh if it still can.
    const ended = (): void => {
      if (inbox === prefix) inbox = undefined;
      for (const [token, request] of [...pending]) {
        if (request.prefix === prefix) settle(token)?.reject(new UnavailableError(`${request.what}: bus connection closed`));
      }
    };
    subscription.closed.then(ended, ended);
    return prefix;
  };

  return {
    request(subject, data, { timeoutMs, headers, what }) {
      return new Promise<Msg>((resolve, reject) => {
        const prefix = open();
        const token = (next++).toString(36);
        const timer = setTimeout(() => settle(token)?.reject(new TimeoutError(`${what} timed out`)), timeoutMs);
        pending.set(token, { resolve, reject, timer, what, prefix });
        try {
          nc.publish(subject, data, { reply: prefix + token, ...(headers !== undefined ? { headers } : {}) });
        } catch (error) {
          settle(token);
          reject(error as Error);
        }
      });
    },
  };
}
