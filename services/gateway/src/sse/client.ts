import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { EventStream, StreamMessage, Subscription } from '@cadre/bus';
import type { Principal } from '@cadre/proto';
import type { StreamFilter } from './filter';
import { toFeedMessage, type FeedMessage } from './message';

export type CloseReason = 'client' | 'slow' | 'stalled' | 'revoked' | 'expired' | 'shutdown' | 'replay_failed';

export interface ClientOptions {
  /** The response, headers already sent without chunked encoding: frames go straight to `socket`. */
  readonly res: ServerResponse;
  readonly socket: Socket;
  readonly principal: Principal;
  readonly filter: StreamFilter;
  /** Bytes held for this client (unsent, or live tail kept while it replays) before it is dropped. */
  readonly bufferLimit: number;
  /** A replaying client that takes no bytes for this long is dropped. */
  readonly stallTimeoutMs: number;
  /**
   * Live frames are written at most once per this many ms per client: at a low rate each goes
   * out at once; under load they are coalesced, so 1,000 clients do not cost 1,000 syscalls per event.
   */
  readonly flushMs: number;
  readonly onClose: (client: SseClient, reason: CloseReason) => void;
}

const HEARTBEAT = Buffer.from(':\n\n');

/**
 * One SSE client. Live, it takes events from the shared feed synchronously and never makes
 * the feed wait: its socket buffer may grow to `bufferLimit`, then it is dropped (it can
 * resume with Last-Event-ID). Resuming, it replays from its cursor on a subscription of its
 * own — at its own pace, waiting for the socket to drain — while the live tail that arrives
 * meanwhile is kept aside; once the replay reaches the position the feed had when the client
 * joined (`joinSeq`), the kept tail is flushed and the client is live.
 *
 * Invariant: `cursor` is the last sequence written or passed over, events are written in
 * increasing order, and nothing at or below `cursor` is ever written, so there is no
 * duplicate; the replay covers (resume point, joinSeq] and the kept tail everything after
 * joinSeq, so there is no gap.
 */
export class SseClient {
  private mode: 'live' | 'catching-up' | 'closed' = 'live';
  private cursor: number;
  private joinSeq = 0;
  private pending: FeedMessage[] = [];
  private pendingBytes = 0;
  private replay: Subscription | undefined;
  private wakeWriter: (() => void) | undefined;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private lastFlush = 0;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ClientOptions, cursor: number) {
    this.cursor = cursor;
  }

  get principal(): Principal {
    return this.options.principal;
  }

  get state(): 'live' | 'catching-up' | 'closed' {
    return this.mode;
  }

  /** An event of the shared feed (in sequence order). Synchronous by design. */
  offer(message: FeedMessage): void {
    switch (this.mode) {
      case 'live':
        if (message.seq <= this.cursor) return;
        this.cursor = message.seq;
        if (this.options.filter.matches(message)) this.push(message.frame);
        return;
      case 'catching-up':
        if (!this.options.filter.matches(message)) return;
        if (this.pendingBytes + message.frame.length > this.options.bufferLimit) {
          // The tail outgrew its bound: forget it and meet the feed later, at this message.
          this.pending = [];
          this.pendingBytes = 0;
          this.joinSeq = message.seq;
          return;
        }
        this.pending.push(message);
        this.pendingBytes += message.frame.length;
        return;
      case 'closed':
        return;
    }
  }

  /**
   * Starts the replay from the cursor. Call it in the same tick as reading `joinSeq` from the
   * feed, so every live event after joinSeq reaches `offer`.
   */
  catchUp(events: EventStream, joinSeq: number): void {
    this.mode = 'catching-up';
    this.joinSeq = joinSeq;
    const filterSubject = this.options.filter.subject;
    events
      .replay({ fromSeq: this.cursor + 1, ...(filterSubject !== undefined ? { filterSubject } : {}) }, (message) => this.replayed(message))
      .then((subscription) => {
        if (this.mode !== 'catching-up') {
          void subscription.stop();
          return;
        }
        this.replay = subscription;
        void subscription.closed.then(() => {
          if (this.mode === 'catching-up' && this.replay === subscription) this.close('replay_failed');
        });
      })
      .catch(() => this.close('replay_failed'));
  }

  heartbeat(): void {
    if (this.mode !== 'closed') this.push(HEARTBEAT);
  }

  close(reason: CloseReason): void {
    if (this.mode === 'closed') return;
    this.mode = 'closed';
    this.pending = [];
    const replay = this.replay;
    this.replay = undefined;
    void replay?.stop();
    this.wakeWriter?.();
    clearTimeout(this.flushTimer);
    const { res, socket } = this.options;
    if (reason === 'slow' || reason === 'stalled') {
      // Its buffer is full: a graceful end would queue behind it. Cut the connection.
      res.destroy();
    } else if (reason !== 'client') {
      this.flush();
      socket.write(`: closed (${reason})\n\n`);
      res.end();
      setTimeout(() => res.destroy(), 1000).unref();
    }
    this.queued = [];
    this.queuedBytes = 0;
    this.options.onClose(this, reason);
  }

  private async replayed(stored: StreamMessage): Promise<void> {
    if (this.mode !== 'catching-up' || stored.seq <= this.cursor) return;
    this.cursor = stored.seq;
    const message = toFeedMessage(stored);
    if (this.options.filter.matches(message)) await this.write(message.frame);
    if (this.mode === 'catching-up' && stored.seq >= this.joinSeq) this.goLive();
  }

  private goLive(): void {
    this.mode = 'live';
    const tail = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    for (const message of tail) {
      if (message.seq <= this.cursor) continue;
      this.cursor = message.seq;
      this.push(message.frame);
    }
    const replay = this.replay;
    this.replay = undefined;
    // Not awaited: we are inside the replay's own handler, which its stop waits for.
    void replay?.stop();
  }

  /**
   * Live write: never waits; past the bound (unsent plus queued bytes) the client is dropped. The
   * frames coalesced here are the gateway's, not the client's backlog: when they would pass the
   * bound they are handed to the socket at once, and only what it cannot take then counts.
   */
  private push(frame: Buffer): void {
    if (this.mode === 'closed') return;
    const { socket, bufferLimit, flushMs } = this.options;
    let held = socket.writableLength + this.queuedBytes + frame.length;
    if (held > bufferLimit && this.queuedBytes > 0) {
      this.flush();
      held = socket.writableLength + frame.length;
    }
    if (held > bufferLimit) {
      this.close('slow');
      return;
    }
    this.queued.push(frame);
    this.queuedBytes += frame.length;
    if (this.flushTimer) return;
    const wait = this.lastFlush + flushMs - performance.now();
    if (wait <= 0) this.flush();
    else this.flushTimer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.queued.length === 0) return;
    const data = this.queued.length === 1 ? this.queued[0]! : Buffer.concat(this.queued, this.queuedBytes);
    this.queued = [];
    this.queuedBytes = 0;
    this.lastFlush = performance.now();
    this.options.socket.write(data);
  }

  /** Replay write: waits for the socket to drain, up to the stall timeout. */
  private async write(frame: Buffer): Promise<void> {
    const { socket, stallTimeoutMs } = this.options;
    if (socket.write(frame) || this.mode === 'closed' || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.close('stalled'), stallTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        socket.off('drain', done);
        this.wakeWriter = undefined;
        resolve();
      };
      this.wakeWriter = done;
      socket.once('drain', done);
    });
  }
}
