import { EventSourceParserStream } from 'eventsource-parser/stream';
import { refreshSession, session } from './api';

/** An event of Cadre's stream: the SSE id (the stream sequence), its type and the envelope. */
export interface CadreEvent<T = Record<string, unknown>> {
  readonly seq: number;
  readonly type: string;
  readonly envelope: {
    readonly id: string;
    readonly type: string;
    readonly stream: string;
    readonly occurredAt: string;
    readonly data: T;
    readonly meta: { readonly owner?: string; readonly actor?: string };
  };
}

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface StreamOptions<T> {
  /** The stream route, e.g. /v1/events/stream or /v1/admin/containers/{id}/logs. */
  readonly path: string;
  /** Server-side filters (run_id, swarm_id, types, tail, level, …). */
  readonly params?: Readonly<Record<string, string | undefined>>;
  /** Start after this id (0: from the beginning); without it the stream starts live. */
  readonly from?: number;
  readonly onMessage: (message: { readonly id: number; readonly event: string; readonly data: T }) => void;
  readonly onStatus?: (status: StreamStatus) => void;
}

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;
/** The gateway sends a heartbeat every 15 s by default: a stream silent for this long is dead. */
const SILENCE_MS = 45_000;

/**
 * A resumable Server-Sent Events reader over fetch (EventSource cannot send a bearer header).
 * Each message's id is kept; after a drop it reconnects with `Last-Event-ID`, so the server
 * sends exactly what was missed. Returns the function that closes it.
 */
export function openStream<T = unknown>(options: StreamOptions<T>): () => void {
  const controller = new AbortController();
  let lastId = options.from;
  let backoff = MIN_BACKOFF_MS;
  const status = (value: StreamStatus) => options.onStatus?.(value);
  // The connection of the moment: cut when the browser goes offline or the stream falls silent
  // (a dropped network often leaves a socket that never errors), then opened again.
  let attempt: AbortController | undefined;
  let silence: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  const watch = () => {
    clearTimeout(silence);
    silence = setTimeout(() => attempt?.abort(), SILENCE_MS);
  };
  const offline = () => attempt?.abort();
  const online = () => {
    backoff = MIN_BACKOFF_MS;
    wake?.();
  };
  window.addEventListener('offline', offline);
  window.addEventListener('online', online);
  controller.signal.addEventListener('abort', () => {
    attempt?.abort();
    clearTimeout(silence);
    wake?.();
    window.removeEventListener('offline', offline);
    window.removeEventListener('online', online);
  });

  const connect = async (): Promise<void> => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(options.params ?? {})) if (value !== undefined && value !== '') search.set(key, value);
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    const token = session.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (lastId !== undefined) headers['last-event-id'] = String(lastId);
    const qs = search.toString();
    attempt = new AbortController();
    const response = await fetch(`${options.path}${qs ? `?${qs}` : ''}`, { headers, signal: attempt.signal, cache: 'no-store' });
    if (response.status === 401) {
      if (!(await refreshSession())) throw new Error('signed out');
      return;
    }
    if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
    status('live');
    backoff = MIN_BACKOFF_MS;
    watch();
    // Heartbeats are comments: they keep the watch from firing without being messages.
    const reader = response.body.pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream({ onComment: watch }))
      .getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      watch();
      const id = value.id !== undefined && /^\d+$/.test(value.id) ? Number(value.id) : undefined;
      if (id !== undefined) lastId = id;
      let data: unknown = value.data;
      try {
        data = JSON.parse(value.data);
      } catch {
        // not JSON: handed over as text
      }
      options.onMessage({ id: id ?? 0, event: value.event ?? 'message', data: data as T });
    }
  };

  void (async () => {
    status('connecting');
    while (!controller.signal.aborted) {
      try {
        await connect();
      } catch (error) {
        if (controller.signal.aborted) break;
        if (error instanceof Error && error.message === 'signed out') break;
      }
      if (controller.signal.aborted) break;
      clearTimeout(silence);
      status('reconnecting');
      // Wait out the backoff (while offline, until the browser is back online).
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (navigator.onLine) setTimeout(resolve, backoff);
      });
      wake = undefined;
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
    status('closed');
  })();

  return () => controller.abort();
}

/** Cadre's event stream with its filters: each message's data is the event's envelope. */
export function openEvents(options: {
  readonly filters?: Readonly<Record<string, string | undefined>>;
  readonly from?: number;
  readonly onEvent: (event: CadreEvent) => void;
  readonly onStatus?: (status: StreamStatus) => void;
}): () => void {
  return openStream<CadreEvent['envelope']>({
    path: '/v1/events/stream',
    ...(options.filters ? { params: options.filters } : {}),
    ...(options.from !== undefined ? { from: options.from } : {}),
    ...(options.onStatus ? { onStatus: options.onStatus } : {}),
    onMessage: (message) => {
      if (typeof message.data !== 'object' || message.data === null) return;
      options.onEvent({ seq: message.id, type: message.event, envelope: message.data });
    },
  });
}
