import type { Client } from '../client';
import { table, truncate, type Output } from '../output';

// `cadre graph index|query|impact`: the code knowledge graph of a project.

const enc = encodeURIComponent;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const PHASES = ['queued', 'scanning', 'parsing', 'imports', 'calls', 'heritage', 'communities', 'processes', 'search', 'storing', 'complete'];
const BAR = 20;

interface Job { job_id: string; status: string; phase: string; counts: Record<string, number>; errors: string[] }
interface Symbol { qualified_name: string; label: string; file: string | null; start_line: number | null; signature: string; confidence?: number; reason?: string; score?: number }

/** A bar of the job's phase (of the ten an index goes through), with the files parsed so far. */
export function progressBar(job: Pick<Job, 'phase' | 'counts'>): string {
  const at = Math.max(0, PHASES.indexOf(job.phase));
  const filled = Math.round((at / (PHASES.length - 1)) * BAR);
  const files = job.counts.files_total !== undefined ? ` ${job.counts.files_total} files` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${job.phase}${files}`;
}

/** Starts an index of the project's repository; with `wait`, follows it with a progress bar (on stderr) to its end. */
export async function graphIndex(client: Client, output: Output, options: { project: string; force: boolean; wait: boolean; tty?: boolean }): Promise<Job | undefined> {
  const base = `/v1/projects/${enc(options.project)}/knowledge-graph`;
  const started = await client.call<{ job_id: string; status: string }>('POST', `${base}/index`, { force: options.force });
  if (!options.wait) {
    output.result(started, () => `Index job ${started.job_id} ${started.status === 'running' ? 'already running (joined)' : 'started'}`);
    return undefined;
  }
  const tty = options.tty ?? process.stderr.isTTY === true;
  let shown = '';
  for (;;) {
    const job = await client.call<Job>('GET', `${base}/index/${enc(started.job_id)}`);
    const bar = progressBar(job);
    if (bar !== shown) {
      if (tty) process.stderr.write(`\r${bar.padEnd(shown.length)}`);
      else output.note(bar);
      shown = bar;
    }
    if (job.status === 'complete' || job.status === 'failed') {
      if (tty) process.stderr.write('\n');
      const c = job.counts;
      output.result(job, () => [
        `Index ${job.job_id} ${job.status}: ${c.files_total ?? 0} files (${c.files_parsed ?? 0} parsed, ${c.files_reused ?? 0} unchanged), `
          + `${c.symbols ?? 0} symbols, ${c.edges ?? 0} edges, ${c.communities ?? 0} communities, ${c.processes ?? 0} processes`,
        ...job.errors.map((error) => `  ${error}`),
      ].join('\n'));
      if (job.status === 'failed') throw new Error(`the index failed: ${job.errors[job.errors.length - 1] ?? 'no reason given'}`);
      return job;
    }
    await wait(300);
  }
}

/** A search of the graph, or — when the text starts with MATCH — a read-only query of it. */
export async function graphQuery(client: Client, output: Output, options: { project: string; text: string; limit?: string }): Promise<void> {
  const base = `/v1/projects/${enc(options.project)}/knowledge-graph`;
  if (/^\s*match\b/i.test(options.text)) {
    const reply = await client.call<{ markdown: string; row_count: number; truncated: boolean }>('POST', `${base}/cypher`, { query: options.text });
    output.result(reply, () => `${reply.markdown}\n${reply.row_count} rows${reply.truncated ? ' (truncated)' : ''}`);
    return;
  }
  const reply = await client.call<{ results: Symbol[] }>('POST', `${base}/query`, {
    query: options.text, ...(options.limit !== undefined ? { limit: Number(options.limit) } : {}),
  });
  output.result(reply, () => reply.results.length === 0 ? 'Nothing found.' : table(['SYMBOL', 'KIND', 'WHERE', 'SIGNATURE'],
    reply.results.map((s) => [s.qualified_name, s.label, `${s.file ?? ''}:${s.start_line ?? ''}`, truncate(s.signature, 60)])));
}

/** What changing a symbol affects, by depth, with its risk. */
export async function graphImpact(client: Client, output: Output, options: { project: string; symbol: string; direction?: string; depth?: number; minConfidence?: number }): Promise<void> {
  const reply = await client.call<{ risk: string; summary: { direct: number; total: number; affected_processes: number }; by_depth: { depth: number; symbols: Symbol[] }[] }>(
    'POST', `/v1/projects/${enc(options.project)}/knowledge-graph/impact`, {
      target: options.symbol,
      ...(options.direction !== undefined ? { direction: options.direction } : {}),
      ...(options.depth !== undefined ? { max_depth: options.depth } : {}),
      ...(options.minConfidence !== undefined ? { min_confidence: options.minConfidence } : {}),
    },
  );
  output.result(reply, () => [
    `Risk ${reply.risk}: ${reply.summary.direct} direct, ${reply.summary.total} in all, ${reply.summary.affected_processes} processes`,
    ...(reply.by_depth.length > 0 ? ['', table(['DEPTH', 'SYMBOL', 'WHERE', 'CONFIDENCE'], reply.by_depth.flatMap((level) => level.symbols.map((s) =>
      [String(level.depth), s.qualified_name, `${s.file ?? ''}:${s.start_line ?? ''}`, `${s.confidence ?? ''} ${s.reason ?? ''}`.trim()])))] : []),
  ].join('\n'));
}
