import type { NatsConnection } from '@nats-io/nats-core';
import { UnavailableError } from '@cadre/proto';
import type { BusLogger } from '../logger';
import { replies, type Replies } from './replies';
import { connectCoalesced } from './transport';

/** A NATS connection and what the bus needs to know of its state. */
export interface Connection {
  readonly nc: NatsConnection;
  /** Requests over the connection's own inbox subscription (bus requests, stream publishes, confirmed acks). */
  readonly replies: Replies;
  /** True while the client holds a live connection to a server. */
  isConnected(): boolean;
  /** Throws an UnavailableError at once when disconnected, so callers never wait on a dead link. */
  assertConnected(what: string): void;
  /** Settles like `work`, but rejects with an UnavailableError as soon as the connection drops. */
  guard<T>(work: Promise<T>, what: string): Promise<T>;
  /**
   * Runs a fire-and-forget protocol message (a nak, a `working` heartbeat) now when connected,
   * else once the connection is back. The client drops what is published while it reconnects,
   * so a nak sent in an outage would be lost and its message wait out the whole ack wait.
   */
  whenConnected(send: () => void): void;
  /** Hears each reconnection (after the deferred messages went out); returns an unregister. */
  onReconnect(listener: () => void): () => void;
}

export interface ConnectOptions {
  readonly servers: string | string[];
  readonly name?: string;
  readonly connectTimeoutMs: number;
  readonly logger: BusLogger;
}

/**
 * Connects, reconnecting forever afterwards; the first connection must succeed within
 * `connectTimeoutMs`, else an UnavailableError.
 */
export async function openConnection(options: ConnectOptions): Promise<Connection> {
  const attempt = connectCoalesced({
    servers: options.servers,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    reconnectJitter: 250,
    pingInterval: 10_000,
    maxPingOut: 3,
    timeout: options.connectTimeoutMs,
    // No stack captured at each request and timer to enrich a later error: that cost every
    // request an Error or two (2 % of the CPU of the orchestration benchmark); the bus names
    // the operation in the errors it raises.
    noAsyncTraces: true,
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection within ${options.connectTimeoutMs} ms`)), options.connectTimeoutMs);
  });
  let nc: NatsConnection;
  try {
    nc = await Promise.race([attempt, timeout]);
  } catch (error) {
    // A connection that arrives after we gave up must not linger.
    attempt.then((late) => late.close()).catch(() => undefined);
    throw new UnavailableError('cannot connect to NATS', { servers: options.servers, reason: (error as Error).message });
  } finally {
    clearTimeout(timer);
  }
  return trackConnection(nc, options.logger);
}

function trackConnection(nc: NatsConnection, logger: BusLogger): Connection {
  let connected = true;
  const dropListeners = new Set<(error: Error) => void>();
  const reconnectListeners = new Set<() => void>();
  // Held while disconnected; bounded so a long outage cannot grow it without end (what is
  // dropped is only delayed: the server redelivers after the ack wait).
  const deferred: Array<() => void> = [];
  const MAX_DEFERRED = 10_000;
  const sendSafely = (send: () => void): void => {
    try {
      send();
    } catch (error) {
      logger.warn({ err: error }, 'deferred NATS message not sent');
    }
  };
  const restored = (how: string, server?: string): void => {
    if (connected || nc.isClosed()) return;
    connected = true;
    logger.info({ server, deferred: deferred.length, how }, 'NATS connection restored');
    for (const send of deferred.splice(0)) sendSafely(send);
    for (const listener of [...reconnectListeners]) sendSafely(listener);
  };
  // The client's status events are our only word on the link, and one late `disconnect` (from a
  // dial attempt that failed while another succeeded) would leave the bus refusing work on a
  // live connection for good. So while we think we are down, a ping every second checks: a
  // PONG can only come over a live connection.
  let confirming = false;
  const confirmWhileDown = async (): Promise<void> => {
    if (confirming) return;
    confirming = true;
    try {
      while (!connected && !nc.isClosed()) {
        await sleep(1_000);
        if (connected || nc.isClosed()) break;
        const answered = await withTimeout(Promise.resolve().then(() => nc.flush()), 1_000);
        if (answered) restored('ping answered');
      }
    } finally {
      confirming = false;
    }
  };
  const dropped = (): void => {
    connected = false;
    const error = new UnavailableError('bus connection lost');
    for (const listener of [...dropListeners]) listener(error);
    if (!nc.isClosed()) void confirmWhileDown();
  };

  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnecting' || status.type === 'staleConnection') {
        if (connected) logger.warn({ status: status.type }, 'NATS connection lost');
        dropped();
      } else if (status.type === 'reconnect') {
        restored('reconnected', status.server);
      } else if (status.type === 'error') {
        logger.warn({ err: status.error }, 'NATS error');
      }
    }
  })().catch((error: unknown) => logger.error({ err: error }, 'NATS status loop failed'));
  void nc.closed().then(dropped, dropped);
  void nc.closed().finally(() => (deferred.length = 0));

  return {
    nc,
    replies: replies(nc),
    isConnected: () => connected && !nc.isClosed(),
    assertConnected(what) {
      if (!connected || nc.isClosed() || nc.isDraining()) throw new UnavailableError(`${what}: bus disconnected`);
    },
    onReconnect(listener) {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    whenConnected(send) {
      if (nc.isClosed()) return;
      if (connected) sendSafely(send);
      else if (deferred.length < MAX_DEFERRED) deferred.push(send);
    },
    guard<T>(work: Promise<T>, what: string): Promise<T> {
      if (!connected) {
        work.catch(() => undefined);
        return Promise.reject(new UnavailableError(`${what}: bus disconnected`));
      }
      return new Promise<T>((resolve, reject) => {
        const onDrop = (): void => reject(new UnavailableError(`${what}: bus connection lost`));
        dropListeners.add(onDrop);
        work.then(resolve, reject).finally(() => dropListeners.delete(onDrop));
      });
    },
  };
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms).unref());

/** True if `work` settles well within `ms`, false if it fails or takes longer. */
function withTimeout(work: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    work.then(
      () => (clearTimeout(timer), resolve(true)),
      () => (clearTimeout(timer), resolve(false)),
    );
  });
}
