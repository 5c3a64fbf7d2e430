import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ApiError, readReply, type Client } from './client';

export interface FollowOptions {
  readonly client: Client;
  /** Path and query, e.g. `/v1/events/stream?run_id=…`. */
  readonly path: string;
  /** Resume after this id (sent as Last-Event-ID). */
  readonly lastEventId?: string;
  /** Called for each event; return true to stop following. */
  readonly onEvent: (event: EventSourceMessage) => boolean | void;
  /** Told each time the connection dropped and is being opened again. */
  readonly onReconnect?: (attempt: number, lastEventId: string | undefined) => void;
  readonly signal?: AbortSignal;
  /** First wait before reconnecting; doubles up to `maxDelayMs` while it keeps failing. */
  readonly retryMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Follows an SSE stream until stopped: on a dropped connection, or a 5xx/429 while the gateway
 * restarts, it opens it again with `Last-Event-ID` set to the last id seen, so nothing is missed
 * and nothing is shown twice (the gateway resumes after that id). A 401 refreshes the session
 * once; any other 4xx is final.
 */
export async function followSse(options: FollowOptions): Promise<void> {
  const base = options.retryMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 5_000;
  let lastEventId = options.lastEventId;
  let attempt = 0;
  let refreshed = false;
  let done = false;
  while (!done && !options.signal?.aborted) {
    const abort = new AbortController();
    const stopOuter = () => abort.abort();
    options.signal?.addEventListener('abort', stopOuter, { once: true });
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      const token = options.client.token();
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      const res = await fetch(`${options.client.url}${options.path}`, { headers, signal: abort.signal });
      if (res.status === 401 && !refreshed) {
        refreshed = true;
        await res.body?.cancel();
        if (await options.client.refresh()) continue;
        throw new ApiError(401, 'Authentication required (run `cadre login`)', 'unauthenticated');
      }
      if (!res.ok) {
        if (res.status < 500 && res.status !== 429) await readReply(res);
        throw new ApiError(res.status, `stream answered ${res.status}`, 'retry');
      }
      refreshed = false;
      attempt = 0;
      const parser = createParser({
        onEvent: (event) => {
          if (done) return;
          if (event.id !== undefined) lastEventId = event.id;
          if (options.onEvent(event) === true) {
            done = true;
            abort.abort();
          }
        },
      });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        parser.feed(value);
      }
    } catch (error) {
      if (done || options.signal?.aborted) break;
      // A client error other than 429 will not get better by retrying.
      if (error instanceof ApiError && error.code !== 'retry') throw error;
    } finally {
      options.signal?.removeEventListener('abort', stopOuter);
    }
    if (done || options.signal?.aborted) break;
    attempt++;
    options.onReconnect?.(attempt, lastEventId);
    await sleep(Math.min(maxDelay, base * 2 ** Math.min(attempt - 1, 10)), options.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
