import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { connectNatsBus, type Bus } from '@cadre/bus';
import { startDefinedService } from '@cadre/kit';
import { createLogger, silentLogger } from '@cadre/logging';
import { projectsService } from '@cadre/projects';
import {
  PRINCIPAL_HEADER, knowledgeContext, knowledgeCypher, knowledgeImpact, knowledgeIndex, knowledgeJob, projectCreate,
} from '@cadre/proto';
import { call, type Service } from '@cadre/runtime';
import { createTestDatabase, startNats } from '@cadre/testing';
import { fmt, percentile, ratio, runAlone, verdict, type BenchResult, type Headline } from '../../../bench/stats';
import { languageOf, parserFor } from '../src/parse/languages';
import { readSource, scanRepository } from '../src/parse/scan';
import { knowledgeService } from '../src/service';
import { generateRepository } from './generate';

// The knowledge service: index throughput (files/s, lines/s) on Cadre's own tree and on a generated
// repository, each beside tree-sitter parsing the same files alone in the same run (the ratio is
// Cadre's overhead: extraction, resolution, Louvain, processes, storing, the job's events); a
// re-index after one changed file; p50/p99 of context, impact (depth 3) and a two-hop MATCH on the
// generated graph (20k+ symbols). Requests go over NATS to the service, as the gateway sends them.
// Size: KNOWLEDGE_BENCH_FILES (default 3000 generated files). KNOWLEDGE_BENCH_LOG=1 prints the service's
// log (each job's time per phase); KNOWLEDGE_BENCH_REINDEX_ONLY=1 runs the generated index and re-indexes alone.

const FILES = Number(process.env.KNOWLEDGE_BENCH_FILES ?? 3000);
const QUERIES = 200;
const CADRE_ROOT = resolve(__dirname, '../../..');
const LOG = process.env.KNOWLEDGE_BENCH_LOG === '1';
const REINDEX_ONLY = process.env.KNOWLEDGE_BENCH_REINDEX_ONLY === '1';
const HEADERS = { [PRINCIPAL_HEADER]: JSON.stringify({ kind: 'user', role: 'member', user_id: 'bench-user', credential_id: 'bench' }) };

/** Tree-sitter alone: every file of the scan parsed (and its tree freed), no extraction. */
async function parseOnly(root: string): Promise<{ seconds: number; files: number; lines: number }> {
  const scan = await scanRepository(root, 1024 * 1024);
  let lines = 0;
  const sources = scan.files.map((file) => readSource(root, file.path)!.source);
  const begin = performance.now();
  for (const [index, file] of scan.files.entries()) {
    const parser = await parserFor(languageOf(file.path)!);
    parser.parse(sources[index]!)?.delete();
    parser.delete();
    lines += sources[index]!.split('\n').length;
  }
  return { seconds: (performance.now() - begin) / 1000, files: scan.files.length, lines };
}

async function latencies(op: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 10; i++) await op();
  const samples: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const t0 = performance.now();
    await op();
    samples.push(performance.now() - t0);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

export async function run(): Promise<BenchResult> {
  const database = await createTestDatabase('cadre_bench_knowledge');
  const nats = await startNats();
  const generated = mkdtempSync(join(tmpdir(), 'cadre-kg-bench-'));
  generateRepository(generated, FILES);
  const opened: Array<{ service: Service; bus: Bus; pool: Pool }> = [];
  const client = await connectNatsBus({ servers: nats.url, name: 'bench' });
  const start = async (definition: typeof knowledgeService | typeof projectsService, name: string) => {
    const bus = await connectNatsBus({ servers: nats.url, name });
    const pool = new Pool({ connectionString: database.url, max: 10 });
    const service = await startDefinedService(definition as typeof knowledgeService, { bus, pool, logger: LOG ? createLogger({ service: name, level: 'info' }) : silentLogger(), instance: `${name}-bench` }, {
      env: { LOG_LEVEL: 'silent', KNOWLEDGE_REPOSITORY_ROOTS: `${tmpdir()},${CADRE_ROOT}` },
    });
    opened.push({ service, bus, pool });
  };
  try {
    await start(projectsService, 'projects');
    await start(knowledgeService, 'knowledge');
    const index = async (repository: string, projectId?: string): Promise<{ projectId: string; seconds: number; counts: Record<string, number> }> => {
      const id = projectId ?? (await call(client, projectCreate, { name: 'bench', repository }, { headers: HEADERS })).id;
      const begin = performance.now();
      const { job_id: jobId } = await call(client, knowledgeIndex, { project_id: id, force: false }, { headers: HEADERS });
      for (;;) {
        const job = await call(client, knowledgeJob, { project_id: id, job_id: jobId }, { headers: HEADERS });
        if (job.status === 'failed') throw new Error(`index failed: ${job.errors.join('; ')}`);
        if (job.status === 'complete') return { projectId: id, seconds: (performance.now() - begin) / 1000, counts: job.counts as Record<string, number> };
        await new Promise((done) => setTimeout(done, 20));
      }
    };

    const genParse = await parseOnly(generated);
    const gen = await index(generated);
    // One file changed, then indexed again: a function added (new symbol, edges), then a body edited
    // in another file (a call added), then a file with nothing changed but its comment.
    const edit = (file: string, change: (text: string) => string): void => { writeFileSync(file, change(readFileSync(file, 'utf8'))); };
    edit(join(generated, 'src', 'mod0', 'f1.ts'), (text) => `${text}\nexport function added1(): number { return 1; }\n`);
    const again = await index(generated, gen.projectId);
    edit(join(generated, 'src', 'mod2', 'f120.ts'), (text) => text.replace('return part.trim();', 'return validate120([part.trim()])[0] ?? part;'));
    const againCall = await index(generated, gen.projectId);
    edit(join(generated, 'src', 'mod4', 'f230.ts'), (text) => text.replace('Parses the input', 'Parses the given input'));
    const againDoc = await index(generated, gen.projectId);
    if (REINDEX_ONLY) {
      const line = (what: string, run: { seconds: number; counts: Record<string, number> }) => `${what}: ${fmt(run.seconds)} s (${run.counts.files_parsed} parsed)`;
      return { section: [line('full', gen), line('function added', again), line('call added', againCall), line('doc edited', againDoc)].join('\n'), headlines: [] };
    }
    const cadreParse = await parseOnly(CADRE_ROOT);
    const cadre = await index(CADRE_ROOT);

    const worst = Math.max(again.seconds, againCall.seconds, againDoc.seconds);
    const target = `parse${Math.floor(FILES / 2)}`;
    const context = await latencies(() => call(client, knowledgeContext, { project_id: gen.projectId, symbol: target }, { headers: HEADERS }));
    const impact = await latencies(() => call(client, knowledgeImpact, { project_id: gen.projectId, target, max_depth: 3, min_confidence: 0.5 }, { headers: HEADERS }));
    const twoHop = await latencies(() => call(client, knowledgeCypher, {
      project_id: gen.projectId, query: 'MATCH (a:Function {name: $name})-[:CALLS]->(b)-[:CALLS]->(c) RETURN DISTINCT c.qualified_name AS name LIMIT 50', parameters: { name: target },
    }, { headers: HEADERS }));

    const row = (what: string, run: { seconds: number; counts: Record<string, number> }, parse: { seconds: number; files: number; lines: number }) =>
      `| ${what} | ${parse.files} | ${run.counts.symbols ?? 0} | ${fmt(run.seconds)} s | ${fmt(parse.files / run.seconds, 0)} files/s, ${fmt(parse.lines / run.seconds, 0)} lines/s | `
      + `${fmt(parse.seconds)} s (${fmt(parse.files / parse.seconds, 0)} files/s) | ${ratio(run.seconds, parse.seconds)} |`;
    const section = [
      `Indexing as a job over NATS (scan, parse, resolve, Louvain, processes, store, progress events), beside tree-sitter parsing the same files alone in the same process and run. Queries: ${QUERIES} each, one at a time, over NATS, on the generated graph.`,
      '',
      '| repository | files | symbols | index job | throughput | tree-sitter alone (baseline) | ratio |',
      '|---|---:|---:|---:|---|---|---:|',
      row("Cadre's own tree", cadre, cadreParse),
      row(`generated (${FILES} files)`, gen, genParse),
      '',
      `Re-index of the generated repository after one changed file (the worst of three is the summary's figure): a function added ${fmt(again.seconds)} s, `
        + `a call added in another file ${fmt(againCall.seconds)} s, a doc comment edited ${fmt(againDoc.seconds)} s (each ${again.counts.files_parsed} file parsed, `
        + `${again.counts.files_reused} unchanged), beside the full index ${fmt(gen.seconds)} s.`,
      '',
      '| query (generated graph) | p50 | p99 |',
      '|---|---:|---:|',
      `| context | ${fmt(context.p50)} ms | ${fmt(context.p99)} ms |`,
      `| impact, depth 3 | ${fmt(impact.p50)} ms | ${fmt(impact.p99)} ms |`,
      `| two-hop MATCH | ${fmt(twoHop.p50)} ms | ${fmt(twoHop.p99)} ms |`,
    ].join('\n');
    const headlines: Headline[] = [
      { figure: "knowledge: index Cadre's own tree", value: `${fmt(cadre.seconds)} s`, baseline: `${fmt(cadreParse.seconds)} s tree-sitter alone`, ratio: ratio(cadre.seconds, cadreParse.seconds), target: '< 15 s', verdict: verdict(cadre.seconds < 15) },
      { figure: 'knowledge: re-index after one changed file', value: `${fmt(worst)} s`, baseline: `${fmt(gen.seconds)} s full index`, ratio: ratio(worst, gen.seconds), target: '< 1 s', verdict: verdict(worst < 1) },
      { figure: `knowledge: context p50 (${gen.counts.symbols} symbols)`, value: `${fmt(context.p50)} ms`, baseline: '–', ratio: '–', target: '< 20 ms', verdict: verdict(context.p50 < 20) },
      { figure: 'knowledge: impact depth 3 p50', value: `${fmt(impact.p50)} ms`, baseline: '–', ratio: '–', target: '< 20 ms', verdict: verdict(impact.p50 < 20) },
    ];
    return { section, headlines };
  } finally {
    for (const { service, bus, pool } of opened.reverse()) {
      await service.shutdown('bench over');
      await bus.drain().catch(() => undefined);
      await pool.end().catch(() => undefined);
    }
    await client.drain();
    await nats.dispose();
    await database.dispose();
    rmSync(generated, { recursive: true, force: true });
  }
}

if (require.main === module) runAlone(run);
