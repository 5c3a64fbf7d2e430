import type { Subscription } from '../types';
import { backoffMs, sleep } from '../timing';
import type { BusLogger } from '../logger';

/** What one session of a loop gets: the stop signal and a place to hook its own teardown. */
export interface Session {
  readonly signal: AbortSignal;
  /** Registers teardown run at stop (at once when already stopping); returns an unregister. */
  onStop(teardown: () => void): () => void;
}

export interface LoopOptions {
  readonly what: string;
  readonly logger: BusLogger;
  /** One consuming session: sets up a subscription and consumes until it ends or fails. */
  readonly session: (session: Session) => Promise<void>;
  /** True when the loop should end for good (the connection closed). */
  readonly finished?: () => boolean;
  /** Runs after the loop ended, before stop() resolves (waits for in-flight work). */
  readonly afterStop?: () => Promise<void>;
  /** Registers a listener that cuts the backoff short (the connection is back); returns an unregister. */
  readonly retryNow?: (listener: () => void) => () => void;
}

/**
 * Runs sessions one after another until stopped: a session that ends or fails (server restart,
 * consumer gone, missed heartbeats) is started again after a backoff.
 */
export function resilientLoop(options: LoopOptions): Subscription {
  const controller = new AbortController();
  const teardowns = new Set<() => void>();
  const session: Session = {
    signal: controller.signal,
    onStop(teardown) {
      if (controller.signal.aborted) {
        teardown();
        return () => undefined;
      }
      teardowns.add(teardown);
      return () => teardowns.delete(teardown);
    },
  };

  const loop = (async () => {
    let failures = 0;
    while (!controller.signal.aborted && !options.finished?.()) {
      const started = Date.now();
      try {
        await options.session(session);
      } catch (error) {
        if (!controller.signal.aborted) options.logger.warn({ what: options.what, err: error }, 'consumer session failed; retrying');
      }
      if (controller.signal.aborted || options.finished?.()) break;
      // A session that ran a while was healthy: start the backoff over.
      if (Date.now() - started > 10_000) failures = 0;
      const cut = new AbortController();
      const off = options.retryNow?.(() => cut.abort());
      await sleep(backoffMs(failures++, 200, 5_000), AbortSignal.any([controller.signal, cut.signal]));
      off?.();
    }
    await options.afterStop?.();
  })();
  const closed = loop.catch((error: unknown) => options.logger.error({ what: options.what, err: error }, 'consumer loop failed'));

  let stopping: Promise<void> | undefined;
  return {
    closed,
    stop() {
      // Waits for the handlers in flight, as the embedded bus does: a handler that stops its own
      // subscription does not await it. (Telling such a call apart took an AsyncLocalStorage,
      // whose promise hooks cost every promise of the process about 5 % of its CPU.)
      stopping ??= (() => {
        controller.abort();
        for (const teardown of [...teardowns]) teardown();
        teardowns.clear();
        return closed;
      })();
      return stopping;
    },
  };
}
