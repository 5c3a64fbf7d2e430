import { subjectMatcher } from '@cadre/proto';
import { sleep } from '../timing';

/**
 * A named event source in the process ("a message was published", "a job was queued"). A
 * notification may name the subjects it concerns (the `events` pulse: the messages this process
 * just stored); one that names none may concern anything.
 */
export class Pulse {
  private readonly listeners = new Set<(subjects: readonly string[] | undefined) => void>();

  notify(subjects?: readonly string[]): void {
    for (const listener of [...this.listeners]) listener(subjects);
  }

  subscribe(listener: (subjects: readonly string[] | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** A pulse a loop sleeps on, and which of its notifications concern the loop (by the subjects they name, if any). */
export interface Watched {
  readonly pulse: Pulse;
  readonly wants: (subjects: readonly string[] | undefined) => boolean;
  /** Whether a wake-up from this pulse is one to linger on (see Wakeup.linger). */
  readonly lingers?: boolean;
}

/** Notifications naming no subject, or one that `filter` takes (a subject filter; null takes every subject). */
export function subjectsFor(filter: () => string | null): (subjects: readonly string[] | undefined) => boolean {
  let compiledFrom: string | null | undefined;
  let matches: (subject: string) => boolean = () => true;
  return (subjects) => {
    const current = filter();
    if (subjects === undefined || current === null) return true;
    if (current !== compiledFrom) {
      compiledFrom = current;
      matches = subjectMatcher(current);
    }
    return subjects.some(matches);
  };
}

/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * What a polling loop sleeps on: any of its pulses, a timer it set, or a stop signal.
 * A pulse that fires while the loop is busy is remembered, so a wake-up between "found
 * nothing" and "go to sleep" is never lost.
 */
export class Wakeup {
  private pending = false;
  /** A pulse that lingers woke the loop since its last linger. */
  private lingering = false;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private readonly unsubscribe: Array<() => void>;
  private closed = false;

  constructor(pulses: ReadonlyArray<Pulse | Watched>, private readonly signal: AbortSignal) {
    this.unsubscribe = pulses.map((watched) => {
      if (watched instanceof Pulse) return watched.subscribe(() => this.fire());
      return watched.pulse.subscribe((subjects) => {
        if (!watched.wants(subjects)) return;
        if (watched.lingers === true) this.lingering = true;
        this.fire();
      });
    });
    signal.addEventListener('abort', () => this.fire(), { once: true });
  }

  fire(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Wakes the loop after `delayMs` (the earliest of several requests wins; none once closed). */
  after(delayMs: number): void {
    if (this.closed) return;
    // A loop woken at the longest delay claims and sets its next timer.
    const delay = Math.min(Math.max(0, delayMs), MAX_TIMER_MS);
    const at = Date.now() + delay;
    if (at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      this.fire();
    }, delay);
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

  /**
   * When a pulse that lingers woke the loop since the last call: waits `ms` (less when stopped),
   * then forgets the wake-ups of that time, since the claim that follows takes what they
   * announced (a publish wakes only after it committed). Other wake-ups (a timer, a pulse that
   * does not linger, the poll) are taken at once.
   */
  async linger(ms: number): Promise<void> {
    if (!this.lingering) return;
    await sleep(ms, this.signal);
    this.pending = false;
    this.lingering = false;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.wake?.();
  }
}
