import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { BenchResult, Headline } from './stats';

/**
 * Runs every benchmark of the project in one process, one after another, and writes the report
 * (docs/benchmarks.md unless BENCH_REPORT names another file): a summary of each headline figure
 * with its baseline and ratio, then each benchmark's section. Every baseline is measured in the
 * same run, on the same machine, so a ratio holds where the absolute figures do not.
 * `npm run bench -- <name part>` runs only the benchmarks whose name contains it.
 */
const benchmarks: ReadonlyArray<{ name: string; load: () => Promise<{ run: () => Promise<BenchResult> }> }> = [
  { name: 'bus request/reply', load: () => import('../libs/bus/bench/request-reply.bench') },
  { name: 'bus catch-up', load: () => import('../libs/bus/bench/catch-up.bench') },
  { name: 'event store append and outbox', load: () => import('../libs/eventstore/bench/append.bench') },
  { name: 'gateway round trip and SSE fan-out', load: () => import('../services/gateway/bench/gateway.bench') },
  { name: 'orchestration overhead', load: () => import('../services/runs/bench/orchestration.bench') },
  { name: 'voice synthesis', load: () => import('../services/voice/bench/voice.bench') },
  { name: 'projects claim contention and board listing', load: () => import('../services/projects/bench/board.bench') },
  { name: 'swarms', load: () => import('../services/swarms/bench/swarms.bench') },
  { name: 'memory search', load: () => import('../services/memory/bench/memory.bench') },
  { name: 'knowledge graph', load: () => import('../services/knowledge/bench/knowledge.bench') },
  { name: 'dashboard', load: () => import('../services/dashboard/bench/dashboard.bench') },
];

const summaryRow = (h: Headline): string => `| ${h.figure} | ${h.value} | ${h.baseline} | ${h.ratio} | ${h.target} | ${h.verdict} |`;

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const chosen = benchmarks.filter((bench) => only.length === 0 || only.some((o) => bench.name.includes(o)));
  const sections: string[] = [];
  const headlines: Headline[] = [];
  for (const bench of chosen) {
    console.log(`\n## ${bench.name}`);
    const result = await (await bench.load()).run();
    console.log(result.section);
    sections.push(result.section, '');
    headlines.push(...result.headlines);
  }
  const report = [
    '# Cadre benchmark report',
    '',
    `Written by \`npm run bench\`${only.length > 0 ? ` (only: ${only.join(', ')})` : ''} on ${new Date().toISOString()}: ${process.platform}/${process.arch},`,
    `Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}). The benchmarks, Postgres and nats-server share those cores;`,
    'test Postgres servers run with fsync off, so the figures compare code paths, not disks. Absolute figures belong to the',
    'machine; each ratio is to a baseline measured in the same run.',
    '',
    '## Summary',
    '',
    '| figure | value | baseline (same run) | ratio | target | verdict |',
    '|---|---:|---:|---:|---|---|',
    ...headlines.map(summaryRow),
    '',
    ...sections,
  ].join('\n');
  const path = process.env.BENCH_REPORT ?? join(__dirname, '..', 'docs', 'benchmarks.md');
  writeFileSync(path, report);
  console.log(`\nreport written to ${path}`);
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
