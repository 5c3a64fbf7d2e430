import { openStream, type SseEvent, type SseStream } from './sse';

/** One connection of a follower: where, from which id, what it got and how it ended. */
export interface FollowerConnection {
  readonly url: string;
  readonly resumedAfter: number;
  events: number;
  ended?: 'server' | 'client';
}

export interface FollowerOptions {
  readonly token: string;
  /** The gateway to connect to next, given the one whose connection just ended or failed (undefined: none yet, or none alive). */
  readonly target: (previous: string | undefined) => string | undefined;
  /** Resume point of the first connection (0: the whole stream). */
  readonly startAfter: number;
  readonly query?: Readonly<Record<string, string>>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follows `GET /v1/events/stream` like a reconnecting EventSource that knows several gateways:
 * whenever its connection ends or cannot be opened, it connects to the next target with
 * `Last-Event-ID` = the last id it got. It keeps every event it received, in arrival order,
 * and does no deduplication of its own, so a duplicate from the server stays visible.
 */
export class StreamFollower {
  readonly events: SseEvent[] = [];
  readonly connections: FollowerConnection[] = [];
  /** Attempts to connect that failed (refused, cut, or answered with an error status). */
  readonly failures: string[] = [];
  private cursor: number;
  private current: { url: string; stream: SseStream } | undefined;
  private stopped = false;
  private readonly running: Promise<void>;

  constructor(private readonly options: FollowerOptions) {
    this.cursor = options.startAfter;
    this.running = this.loop();
  }

  /** The id of the last event received. */
  get lastId(): number {
    return this.cursor;
  }

  /** The gateway it is connected to right now, if any. */
  get gateway(): string | undefined {
    return this.current?.url;
  }

  /** Waits until `done()` holds, checking every 100 ms; rejects after `timeoutMs`. */
  async waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`stream follower: ${what} not reached in ${timeoutMs} ms (last id ${this.cursor})`);
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.stream.close();
    await this.running;
  }

  private async loop(): Promise<void> {
    let previous: string | undefined;
    while (!this.stopped) {
      const url = this.options.target(previous);
      if (url === undefined) {
        await sleep(100);
        continue;
      }
      previous = url;
      const connection: FollowerConnection = { url, resumedAfter: this.cursor, events: 0 };
      let stream: SseStream;
      try {
        stream = await openStream(url, {
          token: this.options.token,
          lastEventId: this.cursor,
          ...(this.options.query ? { query: this.options.query } : {}),
          onEvent: (event) => {
            this.events.push(event);
            this.cursor = event.id;
            connection.events++;
          },
        });
      } catch (error) {
        this.failures.push(`${url}: ${(error as Error).message}`);
        await sleep(100);
        continue;
      }
      if (stream.status !== 200) {
        this.failures.push(`${url}: status ${stream.status} ${JSON.stringify(stream.errorBody)}`);
        await sleep(200);
        continue;
      }
      this.connections.push(connection);
      this.current = { url, stream };
      if (this.stopped) stream.close();
      connection.ended = await stream.ended;
      this.current = undefined;
    }
  }
}
