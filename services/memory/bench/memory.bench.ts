import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { connectNatsBus, type Bus } from '@cadre/bus';
import { startDefinedService } from '@cadre/kit';
import { silentLogger } from '@cadre/logging';
import { PRINCIPAL_HEADER, memoryEmbeddings, memoryImport, memoryImportGet, memorySearch } from '@cadre/proto';
import { call, type Service } from '@cadre/runtime';
import { createTestDatabase, pgvectorBinaries, startNats, startPgvectorPostgres, type TestDatabase, type TestNats } from '@cadre/testing';
import { fmt, percentile, ratio, runAlone, verdict, type BenchResult, type Headline } from '../../../bench/stats';
import { memoryService } from '../src/service';
import { DIMENSIONS, embed, prng, startEmbeddingsServer, words, zipf, type EmbeddingsServer } from './corpus';

// The memory service's search: latency at 10k and 100k memories (full-text, and hybrid with
// 384-dimension vectors from a local OpenAI-compatible server), beside a raw SQL full-text query
// on the same table; retrieval quality on a generated labelled set beside the anchor's lowercase
// substring scan and a plain ILIKE; import throughput with and without embeddings. Requests go
// over NATS to the service, as the gateway sends them. Sizes: MEMORY_BENCH_SIZES (default 10000,100000).

const SIZES = (process.env.MEMORY_BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const QUERIES = 200;
const WARMUP = 20;
const HEADERS = { [PRINCIPAL_HEADER]: JSON.stringify({ kind: 'user', role: 'admin', user_id: 'bench-user', credential_id: 'bench' }) };
const MODEL = 'bench-concepts-384';

interface Stack {
  readonly database: TestDatabase;
  readonly nats: TestNats;
  readonly pool: Pool;
  readonly client: Bus;
  start(embeddings: EmbeddingsServer | undefined, backend?: Backend): Promise<Service>;
  stop(): Promise<void>;
}

/** Where the service compares vectors: its in-process index (the embedded Postgres) or pgvector. */
type Backend = 'in-process' | 'pgvector';

async function startStack(server?: string): Promise<Stack> {
  const database = await createTestDatabase('cadre_bench_memory', server);
  const nats = await startNats();
  const pool = new Pool({ connectionString: database.url, max: 4 });
  const client = await connectNatsBus({ servers: nats.url, name: 'bench' });
  const opened: Array<{ service: Service; bus: Bus; pool: Pool }> = [];
  return {
    database, nats, pool, client,
    async start(embeddings, backend = 'in-process') {
      const bus = await connectNatsBus({ servers: nats.url, name: 'memory' });
      const servicePool = new Pool({ connectionString: database.url, max: 10 });
      const env: Record<string, string> = { LOG_LEVEL: 'silent', MEMORY_EMBED_INTERVAL_MS: '200', MEMORY_VECTOR_BACKEND: backend };
      if (embeddings) Object.assign(env, { MEMORY_EMBEDDINGS_BASE_URL: embeddings.url, MEMORY_EMBEDDINGS_MODEL: MODEL });
      const service = await startDefinedService(memoryService, { bus, pool: servicePool, logger: silentLogger(), instance: 'memory-bench' }, { env });
      opened.push({ service, bus, pool: servicePool });
      const stopOne = service.shutdown.bind(service);
      return Object.assign(service, {
        shutdown: async (reason?: string) => {
          await stopOne(reason);
          await bus.drain().catch(() => undefined);
          await servicePool.end().catch(() => undefined);
        },
      });
    },
    async stop() {
      for (const { service } of opened.reverse()) await service.shutdown('bench over');
      await client.drain();
      await pool.end();
      await nats.dispose();
      await database.dispose();
    },
  };
}

const search = (bus: Bus, query: string, agent: string, limit = 10) =>
  call(bus, memorySearch, { query, agent_id: agent, limit }, { headers: HEADERS, timeoutMs: 30_000 });

async function latencies(op: (query: string) => Promise<unknown>, queries: readonly string[]): Promise<number[]> {
  const samples: number[] = [];
  for (const [i, query] of queries.entries()) {
    const t0 = performance.now();
    await op(query);
    if (i >= WARMUP) samples.push(performance.now() - t0);
  }
  return samples;
}

// ---------------------------------------------------------------- a labelled set

interface Labelled { readonly name: string; readonly content: string; readonly title: string }
interface Query { readonly kind: 'keyword phrase' | 'keywords' | 'misspelled' | 'reworded'; readonly text: string; readonly target: string }

/** 2,000 memories; 200 queries, 50 of each kind, each with the one memory it should find. */
function labelledSet(): { files: Labelled[]; queries: Query[]; concepts: Map<string, string> } {
  const random = prng(7);
  const all = words(9000, random);
  const vocabulary = all.slice(0, 3000);
  const rare = all.slice(3000, 6000);
  const synonyms = all.slice(6000, 6600);
  const concepts = new Map<string, string>();
  for (let s = 0; s < 200; s++) for (const w of synonyms.slice(s * 3, s * 3 + 3)) concepts.set(w, `concept${s}`);
  const files: Labelled[] = [];
  const queries: Query[] = [];
  const sentence = (n: number) => Array.from({ length: n }, () => zipf(vocabulary, random)).join(' ');
  for (let i = 0; i < 2000; i++) {
    const [a, b] = [rare[i * 1]!, rare[2000 + (i % 1000)]!];
    let body = `${sentence(12)}. ${sentence(10)}.`;
    const title = sentence(3);
    if (i < 200) {
      const kind = (['keyword phrase', 'keywords', 'misspelled', 'reworded'] as const)[i % 4]!;
      if (kind === 'keyword phrase') {
        body = `${sentence(8)} ${a} ${b} ${sentence(8)}.`;
        queries.push({ kind, text: `${a} ${b}`, target: `m${i}` });
      } else if (kind === 'keywords') {
        body = `${sentence(6)} ${b}. ${sentence(6)} ${a} ${sentence(4)}.`;
        queries.push({ kind, text: `${a} ${b}`, target: `m${i}` });
      } else if (kind === 'misspelled') {
        body = `${sentence(6)} ${a}. ${sentence(6)} ${b} ${sentence(4)}.`;
        const typo = `${a.slice(0, 3)}${a[4]}${a[3]}${a.slice(5)}`;
        queries.push({ kind, text: `${typo} ${b}`, target: `m${i}` });
      } else {
        const s = Math.floor(i / 4) % 200;
        const [w1, w2] = [synonyms[s * 3]!, synonyms[s * 3 + 1]!];
        body = `${sentence(8)} ${w1} ${sentence(8)}.`;
        queries.push({ kind, text: w2, target: `m${i}` });
      }
    }
    files.push({ name: `m${i}.md`, title, content: `# ${title}\n\n${body}` });
  }
  return { files, queries, concepts };
}

interface Quality { recall5: number; mrr: number }

function score(rankings: ReadonlyArray<readonly string[]>, queries: readonly Query[]): Quality {
  let hits = 0;
  let rr = 0;
  queries.forEach((q, i) => {
    const rank = rankings[i]!.indexOf(q.target);
    if (rank >= 0 && rank < 5) hits++;
    if (rank >= 0) rr += 1 / (rank + 1);
  });
  return { recall5: hits / queries.length, mrr: rr / queries.length };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function importFiles(bus: Bus, agent: string, files: ReadonlyArray<{ name: string; content: string }>): Promise<void> {
  const started = await call(bus, memoryImport, { agent_id: agent, files: [...files] }, { headers: HEADERS, timeoutMs: 60_000 });
  await waitFor(async () => (await call(bus, memoryImportGet, { import_id: started.import_id }, { headers: HEADERS })).status === 'completed');
}

async function qualityAndImports(lines: string[], headlines: Headline[]): Promise<void> {
  const set = labelledSet();
  const server = await startEmbeddingsServer(set.concepts);
  const stack = await startStack();
  try {
    // Import throughput with embeddings: until every memory is imported, then until every one has its vector.
    let service = await stack.start(server);
    const t0 = performance.now();
    await importFiles(stack.client, 'quality', set.files);
    const imported = performance.now() - t0;
    await waitFor(async () => (await call(stack.client, memoryEmbeddings, {}, { headers: HEADERS })).pending === 0);
    const embedded = performance.now() - t0;

    const rankings: Record<string, string[][]> = { hybrid: [], text: [], substring: [], ilike: [] };
    const idOf = new Map<string, string>();
    for (const row of (await stack.pool.query<{ id: string; title: string }>(`select id, title from memory.memories where agent_id = 'quality'`)).rows) idOf.set(row.title, row.id);
    const target = (q: Query) => idOf.get(set.files[Number(q.target.slice(1))]!.title)!;
    const queries = set.queries.map((q) => ({ ...q, target: target(q) }));
    for (const q of queries) rankings.hybrid!.push((await search(stack.client, q.text, 'quality', 10)).results.map((h) => h.id));
    await service.shutdown('quality: text only next');
    service = await stack.start(undefined);
    for (const q of queries) rankings.text!.push((await search(stack.client, q.text, 'quality', 10)).results.map((h) => h.id));
    // The anchor's REST search: every memory read, the query lower-cased, a substring of the text lower-cased; in vault order.
    const all = (await stack.pool.query<{ id: string; title: string; body: string }>(`select id, title, body from memory.memories where agent_id = 'quality' order by id`)).rows;
    for (const q of queries) {
      const needle = q.text.toLowerCase();
      rankings.substring!.push(all.filter((m) => `${m.title}\n${m.body}`.toLowerCase().includes(needle)).slice(0, 10).map((m) => m.id));
      const ilike = await stack.pool.query<{ id: string }>(`select id from memory.memories where agent_id = 'quality' and (title ilike $1 or body ilike $1) order by id limit 10`, [`%${q.text}%`]);
      rankings.ilike!.push(ilike.rows.map((r) => r.id));
    }
    // Import throughput without embeddings: 1,000 more files.
    const bulk = set.files.slice(0, 1000).map((f, i) => ({ name: `bulk/${i}.md`, content: f.content }));
    const t1 = performance.now();
    await importFiles(stack.client, 'bulk', bulk);
    const plain = performance.now() - t1;
    await service.shutdown('quality done');

    const kinds = ['keyword phrase', 'keywords', 'misspelled', 'reworded'] as const;
    lines.push(
      '### Retrieval quality (generated labelled set: 2,000 memories, 200 queries, one relevant memory each)',
      '',
      '50 queries of each kind: a phrase that appears as is; two rare words that appear apart; the same with one word',
      'misspelled (two letters swapped); a synonym of a word of the memory (no word in common: only an embedding finds it).',
      'Embeddings come from a local server that maps each word to its synonym set (a stand-in for a real model).',
      '',
      '| search | recall@5 | MRR | ' + kinds.map((k) => `recall@5 ${k}`).join(' | ') + ' |',
      '|---|---:|---:|' + kinds.map(() => '---:').join('|') + '|',
    );
    const results: Record<string, Quality> = {};
    for (const [name, label] of [['hybrid', 'Cadre hybrid'], ['text', 'Cadre full-text + trigram'], ['substring', 'lowercase substring scan (anchor)'], ['ilike', 'ILIKE %query%']] as const) {
      const overall = score(rankings[name]!, queries);
      results[name] = overall;
      const perKind = kinds.map((k) => {
        const idx = queries.map((q, i) => (q.kind === k ? i : -1)).filter((i) => i >= 0);
        return score(idx.map((i) => rankings[name]![i]!), idx.map((i) => queries[i]!)).recall5;
      });
      lines.push(`| ${label} | ${fmt(overall.recall5)} | ${fmt(overall.mrr)} | ${perKind.map((v) => fmt(v)).join(' | ')} |`);
    }
    lines.push(
      '',
      '### Import throughput',
      '',
      `| import | memories | time | memories/s |`,
      '|---|---:|---:|---:|',
      `| 2,000 files, embedding provider configured (saved) | 2000 | ${fmt(imported / 1000)} s | ${fmt(2000 / (imported / 1000), 0)} |`,
      `| the same, until every memory has its vector | 2000 | ${fmt(embedded / 1000)} s | ${fmt(2000 / (embedded / 1000), 0)} |`,
      `| 1,000 files, no embedding provider | 1000 | ${fmt(plain / 1000)} s | ${fmt(1000 / (plain / 1000), 0)} |`,
      '',
    );
    headlines.push(
      { figure: 'memory search recall@5, labelled set (hybrid)', value: fmt(results.hybrid!.recall5), baseline: `${fmt(results.substring!.recall5)} substring scan`, ratio: ratio(results.hybrid!.recall5, results.substring!.recall5), target: '> substring scan', verdict: verdict(results.hybrid!.recall5 > results.substring!.recall5) },
      { figure: 'memory search MRR, labelled set (hybrid)', value: fmt(results.hybrid!.mrr), baseline: `${fmt(results.ilike!.mrr)} ILIKE`, ratio: ratio(results.hybrid!.mrr, results.ilike!.mrr), target: '> ILIKE', verdict: verdict(results.hybrid!.mrr > results.ilike!.mrr) },
      { figure: 'memory import, no embeddings', value: `${fmt(1000 / (plain / 1000), 0)} memories/s`, baseline: '–', ratio: '–', target: '–', verdict: '–' },
    );
  } finally {
    await stack.stop();
    await server.close();
  }
}

// ---------------------------------------------------------------- latency at scale

/** Adds memories (rows, as the projection writes them) up to `size`, with their words and — with `vectors` — their vectors. */
async function load(pool: Pool, from: number, to: number, vocabulary: readonly string[], concepts: ReadonlyMap<string, string>, backend: Backend): Promise<void> {
  const random = prng(from + 1);
  const sentence = (n: number) => Array.from({ length: n }, () => zipf(vocabulary, random)).join(' ');
  for (let start = from; start < to; start += 2000) {
    const ids: string[] = [];
    const titles: string[] = [];
    const bodies: string[] = [];
    for (let i = start; i < Math.min(to, start + 2000); i++) {
      ids.push(`bench-${i}`);
      titles.push(sentence(4));
      bodies.push(`${sentence(20)}. ${sentence(20)}.`);
    }
    await pool.query(
      `insert into memory.memories (id, owner, agent_id, shared, title, body, type, tags, links, version, deleted, created_at, updated_at, search, needs_embedding)
       select u.id, 'bench-user', 'bench', false, u.t, u.b, 'fact', '{}', '{}', 1, false, now(), now(),
         setweight(to_tsvector('english', u.t), 'A') || setweight(to_tsvector('english', u.b), 'C'), false
       from unnest($1::text[], $2::text[], $3::text[]) as u(id, t, b)`,
      [ids, titles, bodies],
    );
    const floats = ids.map((_, i) => Float32Array.from(embed(`${titles[i]}\n\n${bodies[i]}`, concepts)));
    const vectors = floats.map((v) => Buffer.from(v.buffer));
    // With pgvector the service reads the `embedding` column (its embedder writes both).
    const pg = backend === 'pgvector';
    await pool.query(
      `insert into memory.memory_vectors (memory_id, owner, agent_id, model, dimensions, vector, content_hash, seq${pg ? ', embedding' : ''})
       select u.id, 'bench-user', 'bench', $3, ${DIMENSIONS}, u.v, md5(m.title || E'\\n' || m.body), nextval('memory.memory_vector_seq')${pg ? ', u.e::vector' : ''}
       from unnest($1::text[], $2::bytea[]${pg ? ', $4::text[]' : ''}) as u(id, v${pg ? ', e' : ''}) join memory.memories m on m.id = u.id`,
      [ids, vectors, MODEL, ...(pg ? [floats.map((v) => `[${Array.from(v).join(',')}]`)] : [])],
    );
  }
  await pool.query(`insert into memory.memory_words (word)
    select distinct w from memory.memories, regexp_split_to_table(lower(title || ' ' || body), '[^a-z0-9]+') w
    where length(w) between 3 and 40 and id >= 'bench-' on conflict do nothing`);
  await pool.query('analyze memory.memories');
}

/** Waits until the service has made the HNSW index of the bench's model (pgvector). */
async function hnswReady(pool: Pool): Promise<void> {
  await waitFor(async () => ((await pool.query(
    `select 1 from pg_indexes i join pg_class c on c.relname = i.indexname join pg_index x on x.indexrelid = c.oid
     where i.schemaname = 'memory' and i.indexname like 'memory_vectors_hnsw_%' and x.indisvalid`,
  )).rowCount ?? 0) > 0, 900_000);
}

async function latencyAtScale(lines: string[], headlines: Headline[]): Promise<void> {
  lines.push(
    '### Search latency at scale (one vault; p50 / p99 of 180 sequential queries after 20 warm-up)',
    '',
    'Each query: two words drawn with the corpus\'s own skew. "raw SQL": the full-text query alone',
    '(`websearch_to_tsquery`, `ts_rank_cd`, GIN) on the same table of the same server, from the bench\'s own pool. Cadre: the',
    '`memory.qry.search` request over NATS (typo lookup, full-text, details and snippets, adaptive scores; hybrid',
    'adds the query\'s embedding from the local server over HTTP and the vector side: an exact SIMD scan of the',
    'in-process index on the embedded Postgres 17, or pgvector\'s HNSW index in the same statement as the full-text',
    'ranking on a Postgres with pgvector — Debian\'s Postgres 15 with pgvector 0.8.0, when the machine has it).',
    '',
    '| memories | Postgres (vector side) | raw SQL p50 / p99 | Cadre full-text p50 / p99 | Cadre hybrid (384 dims) p50 / p99 |',
    '|---:|---|---:|---:|---:|',
  );
  await measureScale('embedded 17 (in-process index)', 'in-process', undefined, lines, headlines);
  if (pgvectorBinaries() !== undefined) {
    const server = await startPgvectorPostgres();
    try {
      await measureScale(`Debian ${server.version} + pgvector (HNSW)`, 'pgvector', server.url, lines, headlines);
    } finally {
      await server.dispose();
    }
  } else {
    lines.push('| – | pgvector: not measured (no Postgres with pgvector on this machine; `.ci/pgvector.sh` installs one) | | | |');
  }
  lines.push('');
}

async function measureScale(label: string, backend: Backend, serverUrl: string | undefined, lines: string[], headlines: Headline[]): Promise<void> {
  const random = prng(11);
  const vocabulary = words(20_000, random);
  const concepts = new Map<string, string>();
  const server = await startEmbeddingsServer(concepts);
  const stack = await startStack(serverUrl);
  try {
    const boot = await stack.start(undefined, backend); // runs the migrations (and adds pgvector's column)
    await boot.shutdown('loaded');
    let loaded = 0;
    for (const size of SIZES) {
      // The service makes the HNSW index when it starts; loading into it would be an insert per row.
      if (backend === 'pgvector') {
        for (const { indexname } of (await stack.pool.query<{ indexname: string }>(`select indexname from pg_indexes where schemaname = 'memory' and indexname like 'memory_vectors_hnsw_%'`)).rows) {
          await stack.pool.query(`drop index memory."${indexname}"`);
        }
      }
      await load(stack.pool, loaded, size, vocabulary, concepts, backend);
      loaded = size;
      const queries = Array.from({ length: QUERIES }, () => `${zipf(vocabulary, random)} ${zipf(vocabulary, random)}`);
      const raw = await latencies((q) => stack.pool.query(
        `select id, ts_rank_cd(search, q, 32) as rank from memory.memories, websearch_to_tsquery('english', $1) q
         where search @@ q and not deleted and agent_id = any($2) order by rank desc limit 30`, [q, ['bench', 'shared']]), queries);
      let service = await stack.start(undefined, backend);
      const text = await latencies((q) => search(stack.client, q, 'bench'), queries);
      await service.shutdown('text measured');
      service = await stack.start(server, backend);
      if (backend === 'pgvector') await hnswReady(stack.pool);
      await search(stack.client, 'warm the index', 'bench'); // the replica reads every vector once (in-process)
      const hybrid = await latencies((q) => search(stack.client, q, 'bench'), queries);
      await service.shutdown('hybrid measured');
      const p = (s: number[]) => `${fmt(percentile(s, 50))} / ${fmt(percentile(s, 99))} ms`;
      lines.push(`| ${size.toLocaleString('en')} | ${label} | ${p(raw)} | ${p(text)} | ${p(hybrid)} |`);
      const sizeLabel = `${size / 1000}k`;
      const on = backend === 'pgvector' ? ', pgvector' : '';
      headlines.push(
        { figure: `memory full-text search p50 at ${sizeLabel}${on}`, value: `${fmt(percentile(text, 50))} ms`, baseline: `${fmt(percentile(raw, 50))} ms raw SQL`, ratio: ratio(percentile(text, 50), percentile(raw, 50)), target: '< 20 ms', verdict: verdict(percentile(text, 50) < 20) },
        { figure: `memory hybrid search p50 at ${sizeLabel} (384 dims, ${backend === 'pgvector' ? 'pgvector HNSW' : 'in-process'})`, value: `${fmt(percentile(hybrid, 50))} ms`, baseline: `${fmt(percentile(raw, 50))} ms raw SQL`, ratio: ratio(percentile(hybrid, 50), percentile(raw, 50)), target: '< 50 ms', verdict: verdict(percentile(hybrid, 50) < 50) },
      );
    }
  } finally {
    await stack.stop();
    await server.close();
  }
}

export async function run(): Promise<BenchResult> {
  const lines = ['## Memory search (issue 13)', ''];
  const headlines: Headline[] = [];
  await latencyAtScale(lines, headlines);
  await qualityAndImports(lines, headlines);
  return { section: lines.join('\n'), headlines };
}

if (require.main === module) runAlone(run);
