/** How many statements a group commit keeps in flight, and how much one takes. */
export interface GroupCommitLimits {
  /** Statements in flight at once; what comes meanwhile waits and goes in the next one (default 2). */
  readonly inFlight?: number;
  /** Size of a statement, in the units `sizeOf` gives (default 512). */
  readonly maxSize?: number;
}

/**
 * Group commit: work that arrives while `inFlight` statements are running waits, and goes out
 * together in the next one, up to `maxSize`. Alone, an item goes at once, so nothing waits when
 * nothing else is happening; under load, one statement carries many items, which is what makes
 * a busy store cheaper per item rather than slower.
 *
 * `run` gets the items of one statement and settles each of them (it must not throw).
 */
export function groupCommit<T>(
  run: (items: readonly T[]) => Promise<void>,
  sizeOf: (item: T) => number,
  limits: GroupCommitLimits = {},
): (item: T) => void {
  const inFlight = Math.max(1, limits.inFlight ?? 2);
  const maxSize = Math.max(1, limits.maxSize ?? 512);
  const waiting: T[] = [];
  let running = 0;

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
