import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { secretsOfHeaders } from '@cadre/proto';
import { abortedError, httpError, LlmError } from './errors';
import { backoffDelay, retryAfterFromHeaders, sleep, type RetryPolicy } from './retry';
import type { LlmLogger } from './types';

/** Timeouts and retries of the HTTP calls of one provider. */
export interface TransportOptions {
  /** From sending the request to the response headers (connect and first byte). */
  readonly timeoutMs: number;
  /** Longest silence allowed between two pieces of a streamed body. */
  readonly idleTimeoutMs: number;
  readonly retry: RetryPolicy;
  readonly logger?: LlmLogger;
  readonly random?: () => number;
  /** Wall clock, for `Retry-After` given as a date. */
  readonly now?: () => number;
}

/** A streamed POST to a provider. */
export interface HttpStreamRequest {
  readonly provider: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

interface OpenStream {
  readonly response: Response;
  readonly controller: AbortController;
  /** Unlinks the caller's signal. */
  readonly dispose: () => void;
}

// Duck-typed: errors from fetch may come from another realm (jest's sandbox), failing instanceof.
function describe(error: unknown): string {
  const { message, cause } = (typeof error === 'object' && error !== null ? error : {}) as { message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (typeof message !== 'string') return String(error);
  const code = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  return code ? `${message} (${code})` : message;
}

async function attemptOnce(req: HttpStreamRequest, options: TransportOptions, signal: AbortSignal | undefined): Promise<OpenStream> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const dispose = (): void => signal?.removeEventListener('abort', onAbort);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  try {
    const response = await fetch(req.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...req.headers },
      body: JSON.stringify(req.body),
      signal: controller.signal,
    });
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      const retryAfterMs = retryAfterFromHeaders(response.headers, (options.now ?? Date.now)());
      throw httpError(req.provider, response.status, text, retryAfterMs === undefined ? {} : { retryAfterMs }, secretsOfHeaders(req.headers));
    }
    return { response, controller, dispose };
  } catch (error) {
    dispose();
    controller.abort();
    if (signal?.aborted) throw abortedError(req.provider, error);
    if (error instanceof LlmError) throw error;
    if (timedOut) throw new LlmError('timeout', req.provider, `${req.provider} did not answer within ${options.timeoutMs} ms`);
    throw new LlmError('unavailable', req.provider, `${req.provider} could not be reached: ${describe(error)}`, {}, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** Sends the request until it gets a 2xx, retrying 408/429/5xx, timeouts and network errors. */
async function openWithRetries(req: HttpStreamRequest, options: TransportOptions, signal: AbortSignal | undefined): Promise<OpenStream> {
  const policy = options.retry;
  for (let attempt = 1; ; attempt++) {
    try {
      return await attemptOnce(req, options, signal);
    } catch (error) {
      if (!(error instanceof LlmError) || !error.retryable) throw error;
      const waitMs = error.retryAfterMs;
      if (attempt >= policy.maxAttempts || (waitMs !== undefined && waitMs > policy.maxRetryAfterMs)) {
        throw new LlmError(error.reason, req.provider, `${error.message} (gave up after ${attempt} attempt${attempt === 1 ? '' : 's'})`, {
          ...(error.upstreamStatus === undefined ? {} : { upstreamStatus: error.upstreamStatus }),
          ...(waitMs === undefined ? {} : { retryAfterMs: waitMs }),
          attempts: attempt,
        }, { cause: error });
      }
      const delayMs = waitMs ?? backoffDelay(attempt, policy, options.random);
      options.logger?.warn({ provider: req.provider, attempt, delay_ms: delayMs, upstream_status: error.upstreamStatus, reason: error.message }, 'llm request retrying');
      try {
        await sleep(delayMs, signal);
      } catch (abort) {
        throw abortedError(req.provider, abort);
      }
    }
  }
}

/**
 * POSTs a request and yields its Server-Sent Events. Retries happen only before the response
 * is accepted; a stream that breaks later fails (a silent retry could repeat what the caller
 * already showed). Leaving the loop early, or aborting `signal`, closes the connection.
 */
export async function* streamSse(
  req: HttpStreamRequest,
  options: TransportOptions,
  signal?: AbortSignal,
  /** Tells whether the answer is whole when the consumer stops early (then the body is drained, not cut). */
  isComplete: () => boolean = () => false,
): AsyncGenerator<EventSourceMessage> {
  const open = await openWithRetries(req, options, signal);
  let finished = false;
  let idle = false;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  try {
    const body = open.response.body;
    if (!body) throw new LlmError('protocol', req.provider, `${req.provider} answered without a body`);
    reader = body.getReader();
    const decoder = new TextDecoder();
    const queue: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (event) => queue.push(event) });
    for (;;) {
      const timer = setTimeout(() => {
        idle = true;
        open.controller.abort();
      }, options.idleTimeoutMs);
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } finally {
        clearTimeout(timer);
      }
      if (chunk.done) {
        parser.feed(decoder.decode());
        parser.reset({ consume: true });
      } else {
        parser.feed(decoder.decode(chunk.value, { stream: true }));
      }
      for (const event of queue.splice(0)) {
        if (signal?.aborted) throw abortedError(req.provider, signal.reason);
        yield event;
      }
      if (chunk.done) {
        finished = true;
        return;
      }
    }
  } catch (error) {
    if (signal?.aborted) throw abortedError(req.provider, error);
    if (error instanceof LlmError) throw error;
    if (idle) throw new LlmError('timeout', req.provider, `${req.provider} stream stalled: no data for ${options.idleTimeoutMs} ms`);
    throw new LlmError('unavailable', req.provider, `${req.provider} stream broke: ${describe(error)}`, {}, { cause: error });
  } finally {
    open.dispose();
    if (!finished && !(reader && isComplete() && (await drained(reader)))) open.controller.abort();
  }
}

/**
 * Reads what is left of a finished answer (usually only the end of the chunked body) so the
 * connection goes back to the pool instead of being cut; gives up after a short while.
 */
async function drained(reader: ReadableStreamDefaultReader<Uint8Array>, withinMs = 1000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), withinMs)));
  try {
    for (;;) {
      const chunk = await Promise.race([reader.read(), deadline]);
      if (chunk === 'late') return false;
      if (chunk.done) return true;
    }
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Parses the JSON data of an SSE event, or fails the call as a protocol error. */
export function parseEventJson(provider: string, data: string): unknown {
  try {
    return JSON.parse(data) as unknown;
  } catch {
    throw new LlmError('protocol', provider, `${provider} sent an unreadable stream event: ${data.slice(0, 200)}`);
  }
}
