/** A named event source in the process ("a message was published", "a job was queued"). */
export class Pulse {
  private readonly listeners = new Set<() => void>();

  notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * What a polling loop sleeps on: any of its pulses, a timer it set, or a stop signal.
 * A pulse that fires while the loop is busy is remembered, so a wake-up between "found
 * nothing" and "go to sleep" is never lost.
 */
export class Wakeup {
  private pending = false;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly unsubscribe: Array<() => void>;

  constructor(pulses: readonly Pulse[], private readonly signal: AbortSignal) {
    this.unsubscribe = pulses.map((pulse) => pulse.subscribe(() => this.fire()));
    signal.addEventListener('abort', () => this.fire(), { once: true });
  }

  fire(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Wakes the loop after `delayMs` (the earliest of several requests wins). */
  after(delayMs: number): void {
    const at = Date.now() + Math.max(0, delayMs);
    if (at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      this.fire();
    }, Math.max(0, delayMs));
  }

  /** Sleeps until woken, or `maxMs` at most. */
  async sleep(maxMs: number): Promise<void> {
    if (!this.pending && !this.signal.aborted) {
      await new Promise<void>((resolve) => {
        const poll = setTimeout(resolve, maxMs);
        this.wake = () => {
          clearTimeout(poll);
          resolve();
        };
      });
      this.wake = undefined;
    }
    this.pending = false;
  }

  close(): void {
    clearTimeout(this.timer);
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.wake?.();
  }
}
