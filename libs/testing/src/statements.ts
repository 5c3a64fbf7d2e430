import type { Pool } from 'pg';

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
