/**
 * Gathers items by key and hands each key's items to `run` in batches, one batch of a key at a
 * time (items that arrive meanwhile make the next batch); different keys run side by side. What
 * a replica receives for one swarm thus becomes one decision and one append, with no conflict
 * between this replica's own appends. `run` settles its items itself (ack or nak); what it
 * throws anyway goes to `onError`.
 */
export function keyedBatcher<T>(
  run: (key: string, items: readonly T[]) => Promise<void>,
  onError: (error: unknown, key: string) => void,
): { add(key: string, item: T): void } {
  const pending = new Map<string, T[]>();
  const active = new Set<string>();
  const drain = async (key: string): Promise<void> => {
    active.add(key);
    try {
      for (let items = pending.get(key); items !== undefined && items.length > 0; items = pending.get(key)) {
        pending.delete(key);
        await run(key, items);
      }
    } finally {
      active.delete(key);
    }
  };
  return {
    add(key, item) {
      const items = pending.get(key);
      if (items === undefined) pending.set(key, [item]);
      else items.push(item);
      if (!active.has(key)) drain(key).catch((error: unknown) => onError(error, key));
    },
  };
}
