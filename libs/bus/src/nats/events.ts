import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { assertName, assertSubject, assertSubjectFilter, ValidationError } from '@cadre/proto';
import { injectTraceContext, withTraceContext } from '../trace';
import type { EventStream, MessageHandler, PublishAck, PublishOptions, ReplayOptions, StreamMessage, Subscription } from '../types';
import type { Connection } from './connection';
import { CONSUMER_DEFAULTS, durableConfig, ensureDurable, validateConsumerOptions } from './consumers';
import { isNotFound, mapNatsError } from './errors';
import { toNatsHeaders } from './headers';
import { publishInTurn } from '../publish-in-turn';
import type { BusLogger } from '../logger';
import { resilientLoop, type Session } from './loop';
import { deliveredMessage, streamMessage } from './messages';
import { publishToStream } from './stream-publish';

/** What the event stream needs from the bus. */
export interface EventDeps {
  readonly conn: Connection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly logger: BusLogger;
  /** Registers a subscription so drain() stops it; returns it. */
  readonly track: (subscription: Subscription) => Subscription;
}

// How long one pull waits at the server; idle heartbeats come at half that, so a lost server
// shows soon. Kept short because it also paces recovery: after a reconnect the client checks
// the consumer and, should JetStream not answer yet (a restarted server is still recovering its
// streams), waits one whole expiry before it pulls again; and a stopped consumer's last pull
// lives at the server until it expires, able to take a message meant for another replica.
const PULL_EXPIRES_MS = 2_000;

/** The durable event stream on JetStream. */
export function natsEventStream(deps: EventDeps): EventStream {
  const { conn, jsm, stream, logger } = deps;

  return {
    async publish(subject, data, options) {
      assertEventSubject(subject);
      return publishDeduplicated(deps, subject, data, options);
    },

    async publishAll(messages, options) {
      for (const message of messages) checkDeduplicated(message.subject, message.data, message.options);
      return publishInTurn(messages, (message) => sendDeduplicated(deps, message.subject, message.data, message.options), options?.signal);
    },

    async consume(options, handler) {
      validateConsumerOptions(options);
      if (options.filterSubject !== undefined) assertEventFilter(options.filterSubject);
      const config = durableConfig(options);
      conn.assertConnected(`consume ${options.durable}`);
      try {
        await ensureDurable(jsm, stream, config, logger);
      } catch (error) {
        throw mapNatsError(error, `consumer ${options.durable}`);
      }
      const batch = Math.max(1, Math.min(options.maxAckPending ?? CONSUMER_DEFAULTS.maxAckPending, 32));
      const subscription = deps.track(
        resilientLoop({
          what: `consumer ${options.durable}`,
          logger,
          finished: () => conn.nc.isClosed(),
          retryNow: (listener) => conn.onReconnect(listener),
          session: (session) => consumeSession(deps, session, options.durable, batch, handler, async () => {
            await ensureDurable(jsm, stream, config, logger);
          }),
        }),
      );
      return { stop: () => subscription.stop(), closed: subscription.closed, durable: options.durable };
    },

    async replay(options, handler) {
      const fromSeq = options.fromSeq ?? 1;
      if (!(Number.isInteger(fromSeq) && fromSeq >= 1)) throw new ValidationError('fromSeq must be a positive integer', { fromSeq });
      if (options.filterSubject !== undefined) {
        assertSubjectFilter(options.filterSubject);
        assertEventFilter(options.filterSubject);
      }
      conn.assertConnected('replay');
      const cursor = { next: fromSeq };
      let failed = false;
      const sub = resilientLoop({
        what: 'replay',
        logger,
        finished: () => failed || conn.nc.isClosed(),
        retryNow: (listener) => conn.onReconnect(listener),
        session: async (session) => {
          try {
            await replaySession(deps, session, cursor, options, handler);
          } catch (error) {
            if (error instanceof HandlerFailed) failed = true;
            throw error;
          }
        },
      });
      return deps.track(sub);
    },

    async lastSeq() {
      conn.assertConnected('lastSeq');
      try {
        const info = await conn.guard(jsm.streams.info(stream), 'lastSeq');
        return info.state.last_seq;
      } catch (error) {
        throw mapNatsError(error, 'lastSeq');
      }
    },

    async deleteConsumer(durable) {
      assertName('durable', durable);
      conn.assertConnected(`delete consumer ${durable}`);
      try {
        await conn.guard(jsm.consumers.delete(stream, durable), `delete consumer ${durable}`);
      } catch (error) {
        if (isNotFound(error)) return;
        throw mapNatsError(error, `delete consumer ${durable}`);
      }
    },

    async consumerLag(durable) {
      assertName('durable', durable);
      conn.assertConnected(`lag of consumer ${durable}`);
      try {
        const info = await conn.guard(jsm.consumers.info(stream, durable), `lag of consumer ${durable}`);
        return { pending: info.num_pending, ackPending: info.num_ack_pending };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw mapNatsError(error, `lag of consumer ${durable}`);
      }
    },
  };
}

/** Publishes to JetStream with `Nats-Msg-Id` dedup and the active trace context. */
export async function publishDeduplicated(deps: Pick<EventDeps, 'conn'>, subject: string, data: Uint8Array, options: PublishOptions): Promise<PublishAck> {
  checkDeduplicated(subject, data, options, false);
  return sendDeduplicated(deps, subject, data, options);
}

/** publishDeduplicated once its arguments were checked. */
async function sendDeduplicated(deps: Pick<EventDeps, 'conn'>, subject: string, data: Uint8Array, options: PublishOptions): Promise<PublishAck> {
  const headers = toNatsHeaders(injectTraceContext(options.headers));
  const what = `publish ${subject}`;
  deps.conn.assertConnected(what);
  try {
    return await deps.conn.guard(publishToStream(deps.conn, subject, data, { msgId: options.msgId, what, ...(headers !== undefined ? { headers } : {}) }), what);
  } catch (error) {
    throw mapNatsError(error, what);
  }
}

/** What a publish to the stream needs (its subject too, unless `subject` is false): a ValidationError otherwise. */
function checkDeduplicated(subject: string, data: Uint8Array, options: PublishOptions | undefined, checkSubject = true): void {
  if (checkSubject) assertEventSubject(subject);
  if (typeof options?.msgId !== 'string' || options.msgId.length === 0) throw new ValidationError('msgId is required', { subject });
  if (!(data instanceof Uint8Array)) throw new ValidationError('data must be bytes', { subject });
}

function assertEventSubject(subject: string): void {
  assertSubject(subject);
  if (!subject.startsWith('evt.')) throw new ValidationError(`event subjects start with "evt." (got "${subject}")`, { subject });
}

function assertEventFilter(filter: string): void {
  const first = filter.split('.')[0];
  if (first !== 'evt' && first !== '*' && first !== '>') {
    throw new ValidationError(`event filters start with "evt." (got "${filter}")`, { filter });
  }
}

async function consumeSession(
  deps: EventDeps,
  session: Session,
  durable: string,
  batch: number,
  handler: MessageHandler,
  recreate: () => Promise<void>,
): Promise<void> {
  let consumer;
  try {
    // Guarded: a lookup sent while disconnected would be dropped and wait out its timeout.
    consumer = await deps.conn.guard(deps.js.consumers.get(deps.stream, durable), `consumer ${durable}`);
  } catch (error) {
    // Deleted under us (or lost with the server's store): make it again and go on.
    if (isNotFound(error)) await recreate();
    throw error;
  }
  const messages = await consumer.consume({ max_messages: batch, expires: PULL_EXPIRES_MS, abort_on_missing_resource: true });
  const off = session.onStop(() => messages.stop());
  try {
    for await (const msg of messages) {
      // Held but not started when the stop came: hand it straight back to the other replicas.
      if (session.signal.aborted) deps.conn.whenConnected(() => msg.nak());
      else await handleDelivery(deps.conn, deps.logger, durable, msg, handler);
    }
  } finally {
    off();
  }
}

async function handleDelivery(conn: Connection, logger: BusLogger, durable: string, msg: JsMsg, handler: MessageHandler): Promise<void> {
  const settlement = { settled: false };
  const message = deliveredMessage(msg, settlement, conn);
  try {
    await withTraceContext(message.headers, () => handler(message));
  } catch (error) {
    logger.warn({ durable, seq: msg.seq, err: error }, 'event handler failed; message will be redelivered');
    if (!settlement.settled) conn.whenConnected(() => msg.nak());
  }
}

/** A replay handler threw: the replay ends rather than skip a message. */
class HandlerFailed extends Error {}

async function replaySession(
  deps: EventDeps,
  session: Session,
  cursor: { next: number },
  options: ReplayOptions,
  handler: (message: StreamMessage) => Promise<void> | void,
): Promise<void> {
  // The cursor outlives the session, so a new session resumes with no gap and no repeat.
  const consumer = await deps.conn.guard(deps.js.consumers.get(deps.stream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: cursor.next,
    ...(options.filterSubject !== undefined && options.filterSubject !== '>' ? { filter_subjects: options.filterSubject } : {}),
  }), 'replay');
  const messages = await consumer.consume({ max_messages: 256, expires: PULL_EXPIRES_MS });
  const off = session.onStop(() => messages.stop());
  try {
    for await (const msg of messages) {
      if (session.signal.aborted) break;
      const message = streamMessage(msg);
      try {
        await withTraceContext(message.headers, () => handler(message));
      } catch (error) {
        deps.logger.warn({ seq: msg.seq, err: error }, 'replay handler failed; replay ends');
        throw new HandlerFailed(`replay handler failed at ${msg.seq}`, { cause: error });
      }
      cursor.next = msg.seq + 1;
    }
  } finally {
    off();
    // Ordered consumers are ephemeral; remove ours now rather than after its inactivity timeout.
    consumer.delete().catch(() => undefined);
  }
}
