import type { Subscription } from '@cadre/bus';

export interface PeriodicOptions {
  readonly intervalMs: number;
  /** One round of the work; a failure is logged and the next round tries again. */
  readonly run: () => Promise<void>;
  readonly onError: (error: unknown) => void;
}

/**
 * Runs `run` every `intervalMs`, one round at a time (a round never overlaps the next), for a
 * service's sweepers. `stop()` ends the rounds and waits for the one under way.
 */
export function startPeriodic(options: PeriodicOptions): Subscription & { readonly stopped: () => boolean } {
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  let stopped = false;
  let ended!: () => void;
  const closed = new Promise<void>((resolve) => (ended = resolve));
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      current = options.run().catch(options.onError).finally(schedule);
    }, options.intervalMs);
    timer.unref();
  };
  schedule();
  return {
    closed,
    stopped: () => stopped,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
      ended();
    },
  };
}
