import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs every benchmark of the project in one process, one after another, and writes
 * bench/report.md. Each benchmark module exports `run(): Promise<string>` returning a markdown
 * section whose figures sit beside a baseline measured in the same run.
 */
const benchmarks: ReadonlyArray<{ name: string; load: () => Promise<{ run: () => Promise<string> }> }> = [
  { name: 'bus request/reply', load: () => import('../libs/bus/bench/request-reply.bench') },
  { name: 'event store append and outbox', load: () => import('../libs/eventstore/bench/append.bench') },
  { name: 'gateway round trip and SSE fan-out', load: () => import('../services/gateway/bench/gateway.bench') },
  { name: 'orchestration overhead', load: () => import('../services/runs/bench/orchestration.bench') },
];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const sections: string[] = [
    '# Cadre benchmark report',
    '',
    `Run ${new Date().toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}, ${(await import('node:os')).cpus().length} cores.`,
    'Test Postgres servers run with fsync off: figures compare code paths, not disks.',
    '',
  ];
  for (const bench of benchmarks) {
    if (only.length > 0 && !only.some((o) => bench.name.includes(o))) continue;
    console.log(`\n## ${bench.name}`);
    const section = await (await bench.load()).run();
    console.log(section);
    sections.push(section, '');
  }
  const path = join(__dirname, 'report.md');
  writeFileSync(path, sections.join('\n'));
  console.log(`\nreport written to ${path}`);
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
