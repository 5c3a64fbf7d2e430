import type { ServerResponse } from 'node:http';
import type { EventStream } from '@cadre/bus';
import { RateLimitedError, UnavailableError, type Principal } from '@cadre/proto';
import type { GatewayMetrics } from '../http/metrics';
import { SseClient, type CloseReason } from './client';
import type { StreamFilter } from './filter';
import type { FeedMessage } from './message';

export interface HubOptions {
  readonly events: EventStream;
  /** The shared feed's position. */
  readonly head: () => number;
  readonly heartbeatMs: number;
  readonly bufferLimit: number;
  readonly stallTimeoutMs: number;
  readonly flushMs: number;
  readonly maxClients: number;
  /** Streams one user (or one credential of no user) may hold open; admins are bound by maxClients only. */
  readonly maxClientsPerUser: number;
  /** Of maxClients, how many only admins may take: a member filling the rest cannot lock admins out. */
  readonly adminReserve: number;
  readonly metrics: GatewayMetrics;
  readonly clock?: () => number;
}

export interface HubStats {
  readonly clients: number;
  readonly catchingUp: number;
  readonly dropped: number;
}

export interface SseHub {
  /** Opens the stream on `res` and joins the client to the feed, replaying from `resumeAfter` first when given. */
  attach(res: ServerResponse, principal: Principal, filter: StreamFilter, resumeAfter: number | undefined): Promise<void>;
  /** Fans one event of the shared feed out to every client. */
  dispatch(message: FeedMessage): void;
  /** Closes the streams of the principals that match; returns how many. */
  closeWhere(predicate: (principal: Principal) => boolean, reason: CloseReason): number;
  stats(): HubStats;
  close(): void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** The SSE clients of one gateway instance, fed by its one live feed. */
export function createHub(options: HubOptions): SseHub {
  const clients = new Set<SseClient>();
  const perUser = new Map<string, number>();
  let memberClients = 0;
  const holderOf = (principal: Principal): string => principal.user_id ?? `credential:${principal.credential_id}`;
  const clock = options.clock ?? Date.now;
  let dropped = 0;
  const heartbeat = setInterval(() => {
    for (const client of clients) client.heartbeat();
  }, options.heartbeatMs).unref();

  const onClose = (client: SseClient, reason: CloseReason): void => {
    if (!clients.delete(client)) return;
    if (client.principal.role !== 'admin') memberClients--;
    const holder = holderOf(client.principal);
    const held = (perUser.get(holder) ?? 1) - 1;
    if (held > 0) perUser.set(holder, held);
    else perUser.delete(holder);
    options.metrics.sseClients.set(clients.size);
    if (reason !== 'client') options.metrics.sseDropped.inc({ reason });
    if (reason === 'slow' || reason === 'stalled') dropped++;
  };

  return {
    async attach(res, principal, filter, resumeAfter) {
      if (clients.size >= options.maxClients) throw new UnavailableError('Too many open event streams');
      const admin = principal.role === 'admin';
      if (!admin && memberClients >= options.maxClients - options.adminReserve) throw new UnavailableError('Too many open event streams');
      const holder = holderOf(principal);
      if (!admin && (perUser.get(holder) ?? 0) >= options.maxClientsPerUser) {
        throw new RateLimitedError(`you have ${options.maxClientsPerUser} event streams open already; close one first`, { retry_after_seconds: 5 });
      }
      let cursor = resumeAfter;
      // A cursor beyond the feed may just be ahead of this instance; beyond the stream, it is from another life of it.
      if (cursor !== undefined && cursor > options.head()) cursor = Math.min(cursor, await options.events.lastSeq());
      const socket = res.socket;
      // The caller may have gone while we looked up the stream's head.
      if (!socket || socket.destroyed) return;
      socket.setNoDelay(true);
      socket.setTimeout(0);
      // No chunked framing: the connection is the stream's alone and ends with it, and frames
      // can go to the socket as they are, one write for many events.
      res.useChunkedEncodingByDefault = false;
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        'X-Accel-Buffering': 'no',
      });
      res.flushHeaders();
      socket.write('retry: 3000\n\n');
      // From here to the end, synchronous: no feed event can fall between reading the head and joining.
      const joinSeq = options.head();
      const client = new SseClient(
        { res, socket, principal, filter, bufferLimit: options.bufferLimit, stallTimeoutMs: options.stallTimeoutMs, flushMs: options.flushMs, onClose },
        cursor ?? joinSeq,
      );
      clients.add(client);
      perUser.set(holder, (perUser.get(holder) ?? 0) + 1);
      if (!admin) memberClients++;
      options.metrics.sseClients.set(clients.size);
      res.once('close', () => client.close('client'));
      if (cursor !== undefined && cursor < joinSeq) client.catchUp(options.events, joinSeq);
      if (cursor !== undefined) options.metrics.sseResumes.inc({ path: cursor < joinSeq ? 'replay' : 'live' });
      if (principal.expires_at !== undefined) {
        const timer = setTimeout(() => client.close('expired'), Math.min(MAX_TIMER_MS, Math.max(0, principal.expires_at * 1000 - clock())));
        timer.unref();
        res.once('close', () => clearTimeout(timer));
      }
    },

    dispatch(message) {
      options.metrics.sseEvents.inc();
      for (const client of clients) client.offer(message);
    },

    closeWhere(predicate, reason) {
      let closed = 0;
      for (const client of [...clients]) {
        if (!predicate(client.principal)) continue;
        client.close(reason);
        closed++;
      }
      return closed;
    },

    stats() {
      let catchingUp = 0;
      for (const client of clients) if (client.state === 'catching-up') catchingUp++;
      return { clients: clients.size, catchingUp, dropped };
    },

    close() {
      clearInterval(heartbeat);
      for (const client of [...clients]) client.close('shutdown');
    },
  };
}
