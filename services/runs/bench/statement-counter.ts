import { watchClientQueries } from '@cadre/testing';
import { fmt } from '../../../bench/stats';

/**
 * Counts the Postgres round trips of this process (`BENCH_ORCH_COUNT_STATEMENTS=1`): every call
 * of `pg.Client.prototype.query` — whoever makes it (pool, kysely, the embedded bus, a
 * transaction's BEGIN and COMMIT) — is one round trip; a multi-statement text counts once.
 * Statements are grouped by their text, normalised (schema names, parameters, literals and
 * whitespace folded) and cut to a prefix, so one kind of statement is one row.
 */
export interface StatementCounter {
  /** Starts a window: counts and CPU from now on. */
  start(): void;
  /** Ends the window and answers its figures. */
  stop(): StatementWindow;
}

export interface StatementWindow {
  readonly total: number;
  readonly byStatement: ReadonlyMap<string, number>;
  /** CPU time of this process in the window (user + system), ms. */
  readonly cpuMs: number;
}

const PREFIX = 72;

/** A statement's text as its group: identifiers of test schemas, parameters and literals folded. */
export function normaliseStatement(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/"[^"]*"\./g, '') // "schema". qualifiers
    .replace(/\b(cadre_[a-z0-9_]+)\./gi, '') // unquoted test schema qualifiers
    .replace(/'(?:[^']|'')*'/g, "'…'")
    .replace(/\$\d+/g, '$')
    .replace(/\b\d+\b/g, 'N')
    .trim()
    .slice(0, PREFIX);
}

/** Watches every client's statements once; counting happens only inside a window. */
export function installStatementCounter(): StatementCounter {
  let counts: Map<string, number> | undefined;
  let cpu: NodeJS.CpuUsage | undefined;
  watchClientQueries((text) => {
    if (counts === undefined) return;
    const key = normaliseStatement(text);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return {
    start() {
      counts = new Map();
      cpu = process.cpuUsage();
    },
    stop() {
      const used = process.cpuUsage(cpu);
      const byStatement = counts ?? new Map<string, number>();
      counts = undefined;
      let total = 0;
      for (const n of byStatement.values()) total += n;
      return { total, byStatement, cpuMs: (used.user + used.system) / 1000 };
    },
  };
}

/** A window's figures per step, as a markdown table (statements sorted by count). */
export function statementsPerStep(title: string, window: StatementWindow, steps: number): string[] {
  const per = (n: number) => fmt(n / steps, 2);
  const rows = [...window.byStatement.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return [
    `${title}: **${per(window.total)}** Postgres round trips per step (${window.total} over ${steps} steps); CPU of this process ${fmt(window.cpuMs / steps)} ms per step.`,
    '',
    '| statement (normalised prefix) | per step | count |',
    '| --- | ---: | ---: |',
    ...rows.map(([text, n]) => `| \`${text.replace(/\|/g, '\\|').replace(/`/g, "'")}\` | ${per(n)} | ${n} |`),
    '',
  ];
}
