import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { api, type ApiError, session } from './api';
import { openEvents, type CadreEvent, type StreamStatus } from './stream';

export function useSession() {
  return useSyncExternalStore(session.subscribe, session.get);
}

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: ApiError | Error | undefined;
  readonly loading: boolean;
  /** Fetches again (keeps showing the current data meanwhile). */
  readonly reload: () => void;
}

/** GETs a path (none while `path` is null) and keeps the answer; `reload` fetches again. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError | Error>();
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    setLoading(true);
    api<T>('GET', path, { signal: controller.signal })
      .then((value) => {
        setData(value);
        setError(undefined);
      })
      .catch((reason: unknown) => {
        if (!controller.signal.aborted) setError(reason instanceof Error ? reason : new Error(String(reason)));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
  }, [path, tick]);
  const reload = useCallback(() => setTick((value) => value + 1), []);
  return { data, error, loading, reload };
}

/**
 * Follows the event stream with server-side filters while the component is shown. The handler
 * may change between renders; the stream is reopened only when the filters change.
 */
export function useEvents(
  filters: Readonly<Record<string, string | undefined>> | null,
  onEvent: (event: CadreEvent) => void,
  from?: number,
): StreamStatus {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const key = filters === null ? null : JSON.stringify(filters);
  useEffect(() => {
    if (key === null) return;
    return openEvents({
      filters: JSON.parse(key) as Record<string, string>,
      ...(from !== undefined ? { from } : {}),
      onEvent: (event) => handler.current(event),
      onStatus: setStatus,
    });
  }, [key, from]);
  return status;
}

/** Calls `fn` at most once per `ms`, trailing (a burst of events reloads once). */
export function useThrottled(fn: () => void, ms = 250): () => void {
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(() => {
    if (timer.current !== undefined) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, ms);
  }, [ms]);
}
