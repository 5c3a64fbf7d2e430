/** How many statements a group commit keeps in flight, and how much one takes. */
export interface GroupCommitLimits {
  /** Statements in flight at once; what comes meanwhile waits and goes in the next one (default 2). */
  readonly inFlight?: number;
  /** Size of a statement, in the units `sizeOf` gives (default 512). */
  readonly maxSize?: number;
}

/** The two statements of a group commit, and how an item hears its result. */
export interface GroupCommitParts<T, R> {
  /** One item in its own statement; settles it, whatever happens (never throws). */
  alone(item: T): Promise<void>;
  /** Several items in one statement: a result per item, in their order; throws when the statement failed. */
  together(items: readonly T[]): Promise<readonly R[]>;
  /** Gives an item the result its group's statement had for it. */
  settle(item: T, result: R): void;
  /** An item's size, counted against `maxSize` (default 1). */
  sizeOf?(item: T): number;
}

/**
 * Group commit: work that arrives while `inFlight` statements are running waits, and goes out
 * together in the next one, up to `maxSize`. Alone, an item goes at once, so nothing waits when
 * nothing else is happening; under load, one statement carries many items, which is what makes
 * a busy store cheaper per item rather than slower. A group's statement that fails, for whatever
 * reason (one item's bad data, a deadlock, the database gone), is tried again item by item, in
 * order, so that each item hears only of its own outcome, as without the group.
 */
export function groupCommit<T, R>(parts: GroupCommitParts<T, R>, limits: GroupCommitLimits = {}): (item: T) => void {
  const inFlight = Math.max(1, limits.inFlight ?? 2);
  const maxSize = Math.max(1, limits.maxSize ?? 512);
  const sizeOf = parts.sizeOf ?? (() => 1);
  const waiting: T[] = [];
  let running = 0;

  const run = async (items: readonly T[]): Promise<void> => {
    if (items.length === 1) return parts.alone(items[0]!);
    let results: readonly R[];
    try {
      results = await parts.together(items);
    } catch {
      for (const item of items) await parts.alone(item);
      return;
    }
    items.forEach((item, i) => parts.settle(item, results[i]!));
  };

  const next = (): void => {
    while (running < inFlight && waiting.length > 0) {
      // At least one item, however large; then as many as fit.
      let size = sizeOf(waiting[0]!);
      let count = 1;
      while (count < waiting.length && size + sizeOf(waiting[count]!) <= maxSize) size += sizeOf(waiting[count++]!);
      const items = waiting.splice(0, count);
      running++;
      const done = (): void => {
        running--;
        next();
      };
      run(items).then(done, done);
    }
  };

  return (item) => {
    waiting.push(item);
    next();
  };
}
