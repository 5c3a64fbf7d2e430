import { DomainError, QUERY_TIMEOUT, QUERY_UNSUPPORTED } from '@cadre/proto';
import type { Pool } from 'pg';
import { compileCypher, type ParameterValue } from './compile';
import { parseCypher } from './parser';

export interface CypherOptions {
  readonly schema: string;
  readonly projectId: string;
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  readonly maxRows: number;
  readonly timeoutMs: number;
}

const MARKDOWN_ROWS = 100;

function cell(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The rows as a markdown table (the first hundred). */
export function markdownTable(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const head = `| ${columns.map(cell).join(' | ')} |`;
  const rule = `| ${columns.map(() => '---').join(' | ')} |`;
  const body = rows.slice(0, MARKDOWN_ROWS).map((row) => `| ${columns.map((column) => cell(row[column])).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

/**
 * Runs a statement of the read-only subset: parsed, compiled to parameterised SQL, and run in a
 * READ ONLY transaction with a statement timeout; at most `maxRows` rows (`truncated` beyond).
 */
export async function runCypher(pool: Pool, text: string, options: CypherOptions) {
  const compiled = compileCypher(parseCypher(text), options);
  const client = await pool.connect();
  let rows: Record<string, unknown>[];
  try {
    await client.query('begin transaction isolation level repeatable read read only');
    await client.query(`select set_config('statement_timeout', $1, true)`, [String(options.timeoutMs)]);
    const result = await client.query(compiled.sql, compiled.params as unknown[]);
    await client.query('commit');
    rows = result.rows as Record<string, unknown>[];
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    const code = (error as { code?: string }).code;
    if (code === '57014') throw new DomainError(QUERY_TIMEOUT, `the query ran past ${options.timeoutMs} ms and was stopped: narrow its MATCH or lower its path bounds`, { timeout_ms: options.timeoutMs });
    // Types that do not fit (a name compared with a number), a bad regular expression: the statement's fault.
    if (code !== undefined && /^(22|42)/.test(code)) throw new DomainError(QUERY_UNSUPPORTED, `the query cannot run: ${(error as Error).message}`);
    throw error;
  } finally {
    client.release();
  }
  const truncated = rows.length > options.maxRows;
  const kept = rows.slice(0, options.maxRows).map((row) => Object.fromEntries(compiled.columns.map((column, index) => [column, row[`c${index}`] ?? null])));
  return { columns: [...compiled.columns], rows: kept, row_count: kept.length, truncated, markdown: markdownTable(compiled.columns, kept) };
}
