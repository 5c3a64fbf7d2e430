import { openStream, type SseEvent } from './sse';

export interface ResumingClientOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Last-Event-ID of the first connection. */
  readonly startAfter: number;
  /** Pause before each reconnection (an EventSource waits its `retry:`; tests wait less). */
  readonly retryMs?: number;
}

export interface ResumingClient {
  /** Ids of every event received, across all connections, in arrival order. */
  readonly ids: number[];
  /** Every event received (id, type, data), in arrival order. */
  readonly events: SseEvent[];
  /** The Last-Event-ID it resumes with: the id of the last event it got. */
  cursor(): number;
  /** Streams opened (200) so far. */
  connections(): number;
  /** Attempts refused or failed (connection refused while no gateway listens, a 503, …), by reason. */
  failures(): ReadonlyMap<string, number>;
  /** Resolves once it has seen an event with id ≥ `seq`. */
  reach(seq: number, timeoutMs?: number): Promise<void>;
  /** Resolves once it has received `count` events in all. */
  waitForCount(count: number, timeoutMs?: number): Promise<void>;
  /** Hangs up for good; resolves when its loop is over. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An SSE client of `/v1/events/stream` that behaves like a browser's EventSource: whenever the
 * stream ends or the connection is cut or refused, it reconnects with `Last-Event-ID` set to
 * the id of the last event it received, until stopped.
 */
export function startResumingClient(options: ResumingClientOptions): ResumingClient {
  const ids: number[] = [];
  const events: SseEvent[] = [];
  const failures = new Map<string, number>();
  let cursor = options.startAfter;
  let connections = 0;
  let stopped = false;
  let current: { close(): void } | undefined;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const fail = (reason: string) => failures.set(reason, (failures.get(reason) ?? 0) + 1);

  const loop = (async () => {
    while (!stopped) {
      try {
        const stream = await openStream(options.baseUrl, {
          token: options.token,
          lastEventId: cursor,
          ...(options.query ? { query: options.query } : {}),
          onEvent: (event) => {
            ids.push(event.id);
            events.push(event);
            cursor = event.id;
            notify();
          },
        });
        if (stream.status === 200) {
          connections++;
          current = stream;
          if (stopped) stream.close();
          await stream.ended;
          current = undefined;
        } else {
          fail(`status ${stream.status}`);
        }
      } catch (error) {
        // No gateway listening (refused), or the request failed before the response began.
        const cause = (error as { cause?: { code?: string } }).cause;
        fail(cause?.code ?? (error as Error).name);
      }
      if (!stopped) await sleep(options.retryMs ?? 50);
    }
  })();

  const until = (done: () => boolean, what: () => string, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`resuming client: ${what()} after ${timeoutMs} ms (cursor ${cursor}, ${connections} connections, failures ${JSON.stringify([...failures])})`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  return {
    ids,
    events,
    cursor: () => cursor,
    connections: () => connections,
    failures: () => failures,
    reach: (seq, timeoutMs = 30_000) => until(() => cursor >= seq, () => `did not reach ${seq}`, timeoutMs),
    waitForCount: (count, timeoutMs = 30_000) => until(() => ids.length >= count, () => `${ids.length} of ${count} events`, timeoutMs),
    async stop() {
      stopped = true;
      current?.close();
      await loop;
    },
  };
}
