import { Client, type Pool } from 'pg';

/**
 * Counts the statements `pool` sends from now on, under each pattern that matches the statement's
 * prepared name or its text: for tests that a store or a bus groups its writes.
 */
export function countStatements(pool: Pool, patterns: Readonly<Record<string, RegExp>>): Map<string, number> {
  const counts = new Map<string, number>();
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const config = args[0] as string | { name?: string; text?: string } | undefined;
    const subject = typeof config === 'string' ? config : [config?.name, config?.text].filter((part) => part !== undefined).join('\n');
    for (const [name, pattern] of Object.entries(patterns)) if (pattern.test(subject)) counts.set(name, (counts.get(name) ?? 0) + 1);
    return query(...args);
  };
  return counts;
}

/**
 * Hears every statement any client of this process sends from now on (every pool's, kysely's, a
 * transaction's, a bus's own), with its text and parameters; answers the function that stops it.
 * For tests and benchmarks that need statements `countStatements` cannot see: those not sent
 * through one pool's `query`.
 */
export function watchClientQueries(onQuery: (text: string, values: readonly unknown[] | undefined) => void): () => void {
  const original = Client.prototype.query;
  Client.prototype.query = function watched(this: Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: unknown; values?: unknown[] } | undefined;
    if (typeof config === 'string') onQuery(config, Array.isArray(args[1]) ? args[1] : undefined);
    else if (typeof config?.text === 'string') onQuery(config.text, config.values);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return () => {
    Client.prototype.query = original;
  };
}
