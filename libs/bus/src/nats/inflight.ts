/** Tracks work in progress so a shutdown can wait for it. */
export interface InFlight {
  /** Runs `work` and remembers it until it settles. */
  run<T>(work: () => Promise<T>): Promise<T>;
  readonly size: number;
  /** Resolves once nothing is in flight. */
  idle(): Promise<void>;
  /** Resolves when one piece of work settles (at once when none is running). */
  settled(): Promise<void>;
}

/** A new, empty in-flight tracker. */
export function inFlight(): InFlight {
  const running = new Set<Promise<unknown>>();
  return {
    run(work) {
      const promise = Promise.resolve().then(work);
      const tracked = promise.then(
        () => undefined,
        () => undefined,
      );
      running.add(tracked);
      void tracked.then(() => running.delete(tracked));
      return promise;
    },
    get size() {
      return running.size;
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
    async settled() {
      if (running.size > 0) await Promise.race([...running]);
    },
  };
}
