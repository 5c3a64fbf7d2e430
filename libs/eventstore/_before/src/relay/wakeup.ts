/** A sleep that a notification can cut short; a wake while nobody waits is remembered. */
export interface Wakeup {
  wake(): void;
  /** Resolves after `ms`, or at once when woken (now or since the last wait). */
  wait(ms: number): Promise<void>;
}

export function createWakeup(): Wakeup {
  let pending = false;
  let release: (() => void) | undefined;
  return {
    wake() {
      pending = true;
      release?.();
    },
    wait(ms) {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          release = undefined;
          pending = false;
          resolve();
        };
        const timer = setTimeout(done, ms);
        release = done;
      });
    },
  };
}

/** Sleeps `ms`, or less when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
