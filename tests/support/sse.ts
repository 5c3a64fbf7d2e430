import { createParser } from 'eventsource-parser';

/** One SSE message as a client sees it. */
export interface SseEvent {
  readonly id: number;
  readonly event: string;
  readonly data: string;
}

export interface StreamOptions {
  readonly token?: string;
  /** Sent as the `token` query parameter instead of the Authorization header. */
  readonly tokenInQuery?: boolean;
  readonly lastEventId?: number;
  readonly query?: Readonly<Record<string, string>>;
  /** Called for each event as it arrives (before it is stored). */
  readonly onEvent?: (event: SseEvent, stream: SseStream) => void;
}

export interface SseStream {
  readonly status: number;
  /** The body, when the server refused the stream. */
  readonly errorBody: unknown;
  readonly events: SseEvent[];
  readonly comments: string[];
  /** Resolves when the stream is over: closed by the server, or by `close()`. */
  readonly ended: Promise<'server' | 'client'>;
  /** Waits until `count` events arrived (or the stream ended: then it rejects). */
  waitForCount(count: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Opens `GET /v1/events/stream` with fetch and parses it with eventsource-parser, as a browser would. */
export async function openStream(baseUrl: string, options: StreamOptions = {}): Promise<SseStream> {
  const url = new URL('/v1/events/stream', baseUrl);
  for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (options.token !== undefined) {
    if (options.tokenInQuery) url.searchParams.set('token', options.token);
    else headers.authorization = `Bearer ${options.token}`;
  }
  if (options.lastEventId !== undefined) headers['last-event-id'] = String(options.lastEventId);
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  let over = false;
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };

  let closedByClient = false;
  const stream: SseStream = {
    status: response.status,
    errorBody: response.ok ? undefined : await response.json().catch(() => undefined),
    events,
    comments,
    ended: Promise.resolve('server'),
    waitForCount(count, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`stream: ${events.length} of ${count} events after ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          if (events.length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (over) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`stream ended after ${events.length} of ${count} events`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      closedByClient = true;
      abort.abort();
    },
  };
  if (!response.ok || !response.body) return stream;

  const parser = createParser({
    onEvent: (message) => {
      const event = { id: Number(message.id), event: message.event ?? 'message', data: message.data };
      options.onEvent?.(event, stream);
      events.push(event);
      notify();
    },
    onComment: (comment) => void comments.push(comment),
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  (stream as { ended: Promise<'server' | 'client'> }).ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch {
      // Aborted by close(), or the connection was cut.
    }
    over = true;
    notify();
    return closedByClient ? 'client' : 'server';
  })();
  return stream;
}

export interface FollowOptions {
  readonly token?: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Resume point of the first connection. */
  readonly startAfter: number;
  /** How many times to hang up on purpose and resume with Last-Event-ID. */
  readonly resumes: number;
  /** Events to read before each deliberate hang-up. */
  readonly eventsPerConnection: () => number;
  /** Pause before reconnecting (lets a backlog build up, so resumes replay). */
  readonly pauseMs: () => number;
  /** The last sequence to wait for, once known (undefined while events are still produced). */
  readonly finalSeq: () => number | undefined;
  readonly timeoutMs?: number;
}

export interface FollowResult {
  readonly ids: number[];
  readonly resumes: number;
  /** Connections the server ended (e.g. dropped as slow): they are resumed too. */
  readonly serverEnds: number;
}

/**
 * Reads the stream like a reconnecting EventSource: hangs up after a number of events,
 * resumes with the last id seen, and also resumes whenever the server ends the stream, until
 * the final sequence arrives.
 */
export async function followStream(baseUrl: string, options: FollowOptions): Promise<FollowResult> {
  const ids: number[] = [];
  let cursor = options.startAfter;
  let resumes = 0;
  let serverEnds = 0;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const reachedEnd = () => {
    const final = options.finalSeq();
    return final !== undefined && cursor >= final;
  };
  while (!reachedEnd()) {
    if (Date.now() > deadline) throw new Error(`followStream: at ${cursor}, final ${options.finalSeq()}, after ${resumes} resumes`);
    const quota = resumes < options.resumes ? options.eventsPerConnection() : Number.POSITIVE_INFINITY;
    let got = 0;
    const stream = await openStream(baseUrl, {
      ...(options.token !== undefined ? { token: options.token } : {}),
      ...(options.query ? { query: options.query } : {}),
      lastEventId: cursor,
      onEvent: (event, self) => {
        ids.push(event.id);
        cursor = event.id;
        got++;
        if (got >= quota || reachedEnd()) self.close();
      },
    });
    if (stream.status !== 200) throw new Error(`followStream: status ${stream.status} ${JSON.stringify(stream.errorBody)}`);
    const watch = setInterval(() => {
      if (reachedEnd()) stream.close();
    }, 50);
    const how = await stream.ended;
    clearInterval(watch);
    if (reachedEnd()) break;
    if (how === 'client') resumes++;
    else serverEnds++;
    await new Promise((resolve) => setTimeout(resolve, options.pauseMs()));
  }
  return { ids, resumes, serverEnds };
}
