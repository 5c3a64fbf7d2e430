import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { codeGraphTools } from '@cadre/agents';
import { identityService } from '@cadre/identity';
import { checkRegistry } from '@cadre/kit';
import { knowledgeService } from '@cadre/knowledge';
import { projectsService } from '@cadre/projects';
import type { ProjectView, StepJob } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { SIX_LANGUAGES, writeRepository } from '../../services/knowledge/src/test-support/repo';
import { createMember, setupAdmin } from '../support/auth';
import { cliRunner } from '../support/cli';
import { call } from '../support/http';
import { openStream, type SseStream } from '../support/sse';
import { startSystem, type System } from '../support/system';

interface ErrorBody { error: string; code: string; details?: { candidates?: { symbol: string }[]; clause?: string } }
interface Job { job_id: string; status: string; phase: string; counts: Record<string, number>; errors: string[] }
interface Symbol { id: number; name: string; qualified_name: string; file: string; confidence?: number; reason?: string }
interface Cypher { columns: string[]; rows: Record<string, unknown>[]; row_count: number; truncated: boolean; markdown: string }

const CADRE_ROOT = resolve(__dirname, '../..');
const QUERY_TIMEOUT_MS = 1_500;

describe('code knowledge graph through the HTTP API', () => {
  let system: System;
  let token: string;
  let member: string;
  let repo: string;
  let project: ProjectView;
  let stream: SseStream;
  const trees: string[] = [];
  const api = <T = unknown>(method: string, path: string, body?: unknown, as = token) =>
    call<T>(system.baseUrl, method, path, { token: as, ...(body !== undefined ? { body } : {}) });
  const kg = (path: string): string => `/v1/projects/${project.id}/knowledge-graph${path}`;
  const git = (...args: string[]): void => { execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: repo, stdio: 'ignore' }); };
  const cypher = async (query: string, parameters: Record<string, unknown> = {}, id = project.id) =>
    api<Cypher & ErrorBody>('POST', `/v1/projects/${id}/knowledge-graph/cypher`, { query, parameters });
  const indexed = async (projectId: string, force = false): Promise<Job> => {
    const started = await api<{ job_id: string; status: string }>('POST', `/v1/projects/${projectId}/knowledge-graph/index`, { force });
    expect(started.status).toBe(202);
    let job: Job | undefined;
    await eventually(async () => {
      job = (await api<Job>('GET', `/v1/projects/${projectId}/knowledge-graph/index/${started.body.job_id}`)).body;
      expect(job.status).toBe('complete');
    }, 60_000);
    return job!;
  };

  beforeAll(async () => {
    repo = writeRepository(SIX_LANGUAGES, { git: true });
    system = await startSystem({
      transport: 'embedded', registry: checkRegistry([identityService, projectsService, knowledgeService]),
      env: { KNOWLEDGE_REPOSITORY_ROOTS: `${tmpdir()},${CADRE_ROOT}`, KNOWLEDGE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS), KNOWLEDGE_QUERY_MAX_ROWS: '50' },
    });
    token = (await setupAdmin(system.baseUrl)).access_token;
    member = (await createMember(system.baseUrl, token)).tokens.access_token;
    project = (await api<ProjectView>('POST', '/v1/projects', { name: 'Six languages', repository: repo })).body;
    stream = await openStream(system.baseUrl, { token, query: { project_id: project.id } });
  });
  afterAll(async () => {
    stream?.close();
    await system?.stop();
    if (repo) rmSync(repo, { recursive: true, force: true });
    for (const tree of trees) rmSync(tree, { recursive: true, force: true });
  });

  it('answers errors as errors before the project is indexed', async () => {
    const status = await api<{ indexed: boolean; job: unknown }>('GET', kg('/status'));
    expect(status.body).toMatchObject({ indexed: false, job: null });
    const early = await api<ErrorBody>('GET', kg('/context/square'));
    expect([early.status, early.body.code]).toEqual([409, 'graph_not_indexed']);
    expect((await api<ErrorBody>('POST', kg('/cypher'), { query: 'MATCH (n) RETURN n' })).status).toBe(409);
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await api('GET', `/v1/projects/${unknown}/knowledge-graph/communities`)).status).toBe(404);
    expect((await api('POST', `/v1/projects/${unknown}/knowledge-graph/index`)).status).toBe(404);
    // Another user's project is as unknown as one that does not exist.
    expect((await api('POST', kg('/index'), undefined, member)).status).toBe(404);
    expect((await api('GET', kg('/status'), undefined, member)).status).toBe(404);
    // A project with no repository, or one outside the folders the server indexes.
    const bare = (await api<ProjectView>('POST', '/v1/projects', { name: 'No repository' })).body;
    const none = await api<ErrorBody>('POST', `/v1/projects/${bare.id}/knowledge-graph/index`);
    expect([none.status, none.body.code]).toEqual([422, 'repository_unavailable']);
    const outside = (await api<ProjectView>('POST', '/v1/projects', { name: 'Outside', repository: '/etc' })).body;
    expect((await api<ErrorBody>('POST', `/v1/projects/${outside.id}/knowledge-graph/index`)).body.code).toBe('repository_unavailable');
    // A file:// URL is a server-side path too, held to the same folders.
    const viaUrl = (await api<ProjectView>('POST', '/v1/projects', { name: 'File URL', repository: 'file:///etc' })).body;
    const refused = await api<ErrorBody>('POST', `/v1/projects/${viaUrl.id}/knowledge-graph/index`);
    expect([refused.status, refused.body.code]).toEqual([422, 'repository_unavailable']);
  });

  it('indexes the repository as a job with progress events on the project\'s stream', async () => {
    const job = await indexed(project.id);
    expect(job.counts).toMatchObject({
      files_total: 15, files_parsed: 15, files_reused: 0, skipped_binary: 1, skipped_vendored: 2, skipped_unsupported: 2, symbols: 38, parse_errors: 0,
    });
    const status = await api<{ indexed: boolean; counts: Record<string, number>; job: Job }>('GET', kg('/status'));
    expect(status.body).toMatchObject({ indexed: true, counts: { symbols: 38 }, job: { job_id: job.job_id, status: 'complete' } });
    await eventually(() => expect(stream.events.map((event) => event.event)).toContain('code_graph_index_complete'));
    const phases = stream.events.filter((event) => event.event === 'code_graph_index_progress').map((event) => (JSON.parse(event.data) as { data: { phase: string } }).data.phase);
    expect(phases).toEqual(['scanning', 'parsing', 'imports', 'calls', 'heritage', 'communities', 'processes', 'search', 'storing']);
    expect(stream.events.find((event) => event.event.startsWith('code_graph_'))!.event).toBe('code_graph_index_started');
    // The other member's stream shows none of it.
    const theirs = await openStream(system.baseUrl, { token: member, query: { project_id: project.id, last_event_id: '0' } });
    await new Promise((done) => setTimeout(done, 300));
    theirs.close();
    expect(theirs.events).toEqual([]);
  });

  it('gives a symbol\'s context, with ambiguous names listing their candidates', async () => {
    const context = await api<{ symbol: Symbol; callers: Symbol[]; callees: Symbol[]; imports: string[]; imported_by: string[]; processes: unknown[] }>('GET', kg('/context/square'));
    expect(context.status).toBe(200);
    expect(context.body.symbol).toMatchObject({ qualified_name: 'square', file: 'ts/src/shapes.ts' });
    expect(context.body.callers.map((s) => `${s.qualified_name} ${s.confidence} ${s.reason}`).sort()).toEqual(['Circle.area 0.95 same-file', 'main 0.9 import-resolved']);
    expect(context.body.imported_by).toEqual(['ts/src/main.ts']);
    const ambiguous = await api<ErrorBody>('GET', kg('/context/main'));
    expect([ambiguous.status, ambiguous.body.code]).toEqual([409, 'ambiguous_symbol']);
    expect(ambiguous.body.details!.candidates!.map((c) => c.symbol).sort()).toEqual(['go/main.go#main', 'rs/src/main.rs#main', 'ts/src/main.ts#main']);
    const chosen = await api<{ callees: Symbol[] }>('GET', kg(`/context/${encodeURIComponent('rs/src/main.rs#main')}`));
    expect(chosen.body.callees.map((s) => s.qualified_name).sort()).toEqual(['Area.area', 'Square.area', 'Square.new', 'helper']);
    expect((await api<ErrorBody>('GET', kg('/context/nothingLikeThis'))).status).toBe(404);
    const withClass = await api<{ extends: Symbol[]; implemented_by: Symbol[] }>('GET', kg('/context/Circle'));
    expect(withClass.body.extends.map((s) => s.qualified_name).sort()).toEqual(['Base', 'Shape']);
  });

  it('searches names, signatures and doc comments, ranked, with typos and snippets', async () => {
    const search = (query: string, extra: Record<string, unknown> = {}) => api<{ results: (Symbol & { content?: string })[] }>('POST', kg('/query'), { query, ...extra });
    expect((await search('square')).body.results[0]).toMatchObject({ qualified_name: 'square', file: 'ts/src/shapes.ts' });
    expect((await search('barks')).body.results.map((r) => r.qualified_name)).toEqual(['Dog']);
    expect((await search('sqare')).body.results.slice(0, 2).map((r) => r.qualified_name).sort()).toEqual(['Square', 'square']);
    const withContent = (await search('square', { include_content: true, limit: 1 })).body.results[0]!;
    expect(withContent.content).toBe('export function square(x: number): number { return x * x; }');
    expect((await search('zzzqqq')).body.results).toEqual([]);
  });

  it('finds communities and processes', async () => {
    const communities = await api<{ communities: { id: number; size: number; cohesion: number; label: string }[]; modularity: number }>('GET', kg('/communities'));
    expect(communities.body.communities.length).toBeGreaterThan(3);
    expect(communities.body.modularity).toBeGreaterThan(0.3);
    const processes = await api<{ processes: { name: string; step_count: number; steps: { step: number; symbol: Symbol }[] }[] }>('GET', `${kg('/processes')}?steps=true`);
    const python = processes.body.processes.find((p) => p.steps[0]!.symbol.file === 'py/app.py')!;
    expect(python.steps.map((step) => step.symbol.qualified_name)).toEqual(['run', 'Animal', 'Dog', 'Animal.speak', 'Animal.sound']);
    const page = await api<{ nodes: Symbol[]; next_cursor: number | null; total: number }>('GET', `${kg('/graph-data')}?label=Method&limit=5`);
    expect([page.body.nodes.length, page.body.total, page.body.next_cursor]).toEqual([5, 16, 5]);
  });

  it('measures the impact of a symbol and maps working changes and commits to symbols, with risk', async () => {
    const impact = await api<{ risk: string; by_depth: { depth: number; symbols: Symbol[] }[]; summary: Record<string, number> }>('POST', kg('/impact'), { target: 'square', max_depth: 3, min_confidence: 0.7 });
    expect(impact.body.by_depth.map((level) => [level.depth, level.symbols.map((s) => s.qualified_name).sort()])).toEqual([[1, ['Circle.area', 'main']], [2, ['Circle.describe']]]);
    expect(impact.body.summary).toMatchObject({ direct: 2, total: 3 });
    expect(impact.body.risk).toBe(impact.body.summary.affected_processes! > 0 ? 'MEDIUM' : 'MEDIUM');
    const downstream = await api<{ by_depth: { symbols: Symbol[] }[] }>('POST', kg('/impact'), { target: 'Circle.describe', direction: 'downstream', min_confidence: 0.9 });
    expect(downstream.body.by_depth.map((level) => level.symbols.map((s) => s.qualified_name))).toEqual([['Circle.area'], ['square']]);

    writeFileSync(join(repo, 'py/pkg/models.py'), SIX_LANGUAGES['py/pkg/models.py']!.replace('return "..."', 'return "?"'));
    const changes = await api<{ files: { path: string }[]; changed_symbols: Symbol[]; impacted: Symbol[]; risk: string }>('GET', kg('/changes'));
    expect(changes.body.files.map((f) => f.path)).toEqual(['py/pkg/models.py']);
    expect(changes.body.changed_symbols.map((s) => s.qualified_name)).toEqual(['Animal.sound']);
    expect(changes.body.impacted.map((s) => s.qualified_name)).toEqual(['Animal.speak', 'run']);
    git('commit', '-qam', 'sound changes');
    expect((await api<{ changed_symbols: Symbol[] }>('GET', kg('/changes'))).body.changed_symbols).toEqual([]);
    expect((await api<{ changed_symbols: Symbol[] }>('GET', `${kg('/changes')}?head=HEAD`)).body.changed_symbols.map((s) => s.qualified_name)).toEqual(['Animal.sound']);
    expect((await api<ErrorBody>('GET', `${kg('/changes')}?base=nosuchbranch`)).status).toBe(400);
  });

  it('re-indexes only the file whose content changed', async () => {
    // The last test changed (and committed) one file since the index.
    expect((await indexed(project.id)).counts).toMatchObject({ files_total: 15, files_parsed: 1, files_reused: 14 });
    writeFileSync(join(repo, 'js/lib/util.js'), 'export function helper() { return 2; }\nexport function extra() { return helper(); }\n');
    const job = await indexed(project.id);
    expect(job.counts).toMatchObject({ files_total: 15, files_parsed: 1, files_reused: 14, symbols: 39 });
    const context = await api<{ callers: Symbol[] }>('GET', kg('/context/helper?file=js/lib/util.js'));
    expect(context.body.callers.map((s) => s.qualified_name).sort()).toEqual(['App.run', 'extra']);
    // A file added, then removed: its nodes and edges come and go.
    writeFileSync(join(repo, 'js/lib/tmp.js'), "import { helper } from './util.js';\nexport function temporary() { return helper(); }\n");
    expect((await indexed(project.id)).counts).toMatchObject({ files_total: 16, files_parsed: 1, symbols: 40 });
    rmSync(join(repo, 'js/lib/tmp.js'));
    expect((await indexed(project.id)).counts).toMatchObject({ files_total: 15, files_parsed: 0, files_removed: 1, symbols: 39 });
    // The graph written as a difference equals the graph of a fresh index of the same tree.
    const fresh = (await api<ProjectView>('POST', '/v1/projects', { name: 'Fresh', repository: repo })).body;
    await indexed(fresh.id);
    const graphOf = async (id: string) => {
      const data = (await api<{ nodes: (Symbol & { label: string; community: number | null; start_line: number })[]; edges: { source: number; target: number; type: string; confidence: number; reason: string; step: number | null }[] }>(
        'GET', `/v1/projects/${id}/knowledge-graph/graph-data?limit=5000`)).body;
      const key = new Map(data.nodes.map((n) => [n.id, `${n.label}:${n.file ?? ''}#${n.qualified_name}`]));
      return {
        nodes: data.nodes.map((n) => `${key.get(n.id)} ${n.start_line} ${n.community}`).sort(),
        edges: data.edges.map((e) => `${key.get(e.source)} -${e.type}-> ${key.get(e.target)} ${e.confidence} ${e.reason} ${e.step}`).sort(),
      };
    };
    const [incremental, full] = await Promise.all([graphOf(project.id), graphOf(fresh.id)]);
    expect(incremental.edges.length).toBeGreaterThan(100);
    expect(incremental).toEqual(full);
    expect((await indexed(project.id, true)).counts).toMatchObject({ files_parsed: 15, files_reused: 0 });
  });

  it('answers a table of read-only queries', async () => {
    const table: [string, Record<string, unknown>, Record<string, unknown>[]][] = [
      ["MATCH (c:Class)-[:EXTENDS]->(b:Class) RETURN c.name AS child, b.name AS base ORDER BY child", {}, [{ child: 'Circle', base: 'Base' }, { child: 'Dog', base: 'Animal' }, { child: 'Main', base: 'Base' }]],
      ["MATCH (a)-[r:CALLS]->(b {name: 'square'}) RETURN a.qualified_name AS caller, r.confidence AS confidence, r.reason AS reason ORDER BY caller",
        {}, [{ caller: 'Circle.area', confidence: 0.95, reason: 'same-file' }, { caller: 'main', confidence: 0.9, reason: 'import-resolved' }]],
      ["MATCH (f:File)-[:DEFINES]->(s) WHERE f.file STARTS WITH 'rs/' AND s.label IN ['Struct', 'Trait'] RETURN s.name ORDER BY s.name", {}, [{ 's.name': 'Area' }, { 's.name': 'Square' }]],
      ['MATCH (m:Method) WHERE m.name CONTAINS $part RETURN count(*) AS n', { part: 'ea' }, [{ n: 4 }]],
      ["MATCH (a {name: 'main', file: 'ts/src/main.ts'})-[:CALLS*2..2]->(b) RETURN DISTINCT b.qualified_name AS name ORDER BY name", {}, [{ name: 'Circle.area' }]],
      ["MATCH (s)-[:CALLS]->(t) WHERE s.file ENDS WITH '.java' AND NOT t.name = 'greet' RETURN t.name AS name ORDER BY toLower(t.name) DESC SKIP 1 LIMIT 1", {}, [{ name: 'Main' }]],
      ['MATCH (f:File) WHERE f.language = $lang OR f.language = "go" RETURN f.language AS language, count(f) AS files ORDER BY language', { lang: 'rust' },
        [{ language: 'go', files: 2 }, { language: 'rust', files: 2 }]],
      ["MATCH (n:Function) WHERE n.name = 'nothing' RETURN n", {}, []],
      // Relationship uniqueness (openCypher): no edge twice in one MATCH — not back over square's own edge, not around the pattern's first hop.
      ["MATCH (a:Function {name: 'square'})<-[:CALLS]-(b)-[:CALLS]->(c) RETURN b.qualified_name AS b, c.qualified_name AS c ORDER BY b, c", {},
        [{ b: 'main', c: 'Base.describe' }, { b: 'main', c: 'Circle' }, { b: 'main', c: 'Circle.describe' }]],
      ["MATCH (a:Function {name: 'square'})-[:CALLS]-(b)-[:CALLS]-(c) RETURN b.qualified_name AS b, c.qualified_name AS c ORDER BY b, c", {},
        [{ b: 'Circle.area', c: 'Circle.describe' }, { b: 'main', c: 'Base.describe' }, { b: 'main', c: 'Circle' }, { b: 'main', c: 'Circle.describe' }]],
      ["MATCH (a {name: 'main', file: 'ts/src/main.ts'})-[:CALLS]->(x)-[:CALLS*1..3]-(b) RETURN x.qualified_name AS x, b.qualified_name AS b ORDER BY x, b", {}, [
        { x: 'Circle.describe', b: 'Circle.area' }, { x: 'Circle.describe', b: 'main' }, { x: 'Circle.describe', b: 'square' },
        { x: 'square', b: 'Circle.area' }, { x: 'square', b: 'Circle.describe' }, { x: 'square', b: 'main' }]],
      // Paths are trails: nodes may repeat (main → … → main round the cycle, both ways), edges not.
      ["MATCH (a {name: 'main', file: 'ts/src/main.ts'})-[:CALLS*4..4]-(b) RETURN b.qualified_name AS name, count(*) AS paths", {}, [{ name: 'main', paths: 2 }]],
      // A variable-length relationship is the list of its relationships.
      ["MATCH (a {name: 'main', file: 'ts/src/main.ts'})-[r:CALLS*2..2]->(b {name: 'area'}) RETURN b.qualified_name AS b, r, size(r) AS hops", {}, [{
        b: 'Circle.area', hops: 2,
        r: [{ type: 'CALLS', confidence: 0.3, reason: 'name-match' }, { type: 'CALLS', confidence: 0.95, reason: 'same-file' }],
      }]],
      // Where SQL and Cypher differ: nulls first descending, collect() without nulls, sum() of nothing 0, \u escapes, an empty list.
      ["MATCH (n) WHERE n.label = 'Community' OR n.name = 'square' RETURN n.label AS label ORDER BY n.size DESC LIMIT 1", {}, [{ label: 'Function' }]],
      ["MATCH (f:Function {name: 'square'}) RETURN collect(f.cohesion) AS c, sum(f.cohesion) AS s", {}, [{ c: [], s: 0 }]],
      ["MATCH (n {name: '\\u0073quare'}) WHERE NOT n.name IN [] AND NOT n.start_line IN $none RETURN n.file AS file", { none: [] }, [{ file: 'ts/src/shapes.ts' }]],
      ["MATCH (n:Class) WHERE n.name =~ '(?i)D.G' RETURN n.name AS name", {}, [{ name: 'Dog' }]],
    ];
    for (const [query, parameters, rows] of table) {
      const reply = await cypher(query, parameters);
      expect([query, reply.status, reply.body.rows]).toEqual([query, 200, rows]);
    }
    const nodes = await cypher("MATCH (n:Class {name: 'Dog'}) RETURN n, labels(n) AS labels");
    expect(nodes.body.rows[0]).toMatchObject({ n: { name: 'Dog', label: 'Class', file: 'py/pkg/models.py' }, labels: ['Class'] });
    expect(nodes.body.markdown.split('\n')[0]).toBe('| n | labels |');
    const capped = await cypher('MATCH (n) RETURN n.id');
    expect([capped.body.row_count, capped.body.truncated]).toEqual([50, true]);
  });

  it('refuses every write or procedure clause, and unsupported syntax, naming it', async () => {
    const writes: [string, string][] = [
      ["CREATE (n:Function {name: 'x'}) RETURN n", 'CREATE'], ["MERGE (n:Function {name: 'x'}) RETURN n", 'MERGE'],
      ["MATCH (n) SET n.name = 'x' RETURN n", 'SET'], ['MATCH (n) DELETE n', 'DELETE'], ['MATCH (n) DETACH DELETE n', 'DETACH DELETE'],
      ['MATCH (n) REMOVE n.name RETURN n', 'REMOVE'], ['CALL db.labels()', 'CALL'], ["LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row", 'LOAD CSV'],
      ['MATCH (n) RETURN n; DROP INDEX x', 'DROP'], ['MATCH (n) FOREACH (x IN [1] | SET n.a = x)', 'FOREACH'],
    ];
    for (const [query, clause] of writes) {
      const reply = await cypher(query);
      expect([query, reply.status, reply.body.code, reply.body.details?.clause]).toEqual([query, 400, 'query_not_read_only', clause]);
      expect(reply.body.error).toContain(clause);
    }
    const unsupported: [string, string][] = [
      ['MATCH (n) WITH n RETURN n', 'WITH'], ['OPTIONAL MATCH (n) RETURN n', 'OPTIONAL MATCH'], ['MATCH (n) UNWIND [1] AS x RETURN x', 'UNWIND'],
      ['MATCH (a)-[*]->(b) RETURN count(*)', 'upper bound'], ['MATCH (a)-[*1..50]->(b) RETURN a', 'at most 10'], ['MATCH (n) RETURN nosuch(n)', 'nosuch()'],
      ['MATCH (n RETURN n', 'does not parse'], ['MATCH (n) RETURN m', "'m'"], ['MATCH (n) WHERE n.name = $missing RETURN n', '$missing'],
      ['MATCH (a)-[r:CALLS*1..2]->(b) RETURN r.confidence', 'a property (r.confidence)'], ['MATCH (a)-[r:CALLS*1..2]->(b) RETURN type(r)', 'type()'],
      ['MATCH (a)-->(b) RETURN a.name AS x, b.name AS x', "'x' is returned twice"], ['MATCH p = (a)-->(b) RETURN a', 'named path'],
    ];
    for (const [query, named] of unsupported) {
      const reply = await cypher(query);
      expect([query, reply.status]).toEqual([query, 400]);
      expect(reply.body.error).toContain(named);
    }
  });

  it('changes nothing when strings, identifiers or parameters carry SQL', async () => {
    const counts = async () => [(await cypher('MATCH (n) RETURN count(*) AS n')).body.rows[0]!.n, (await cypher('MATCH ()-[r]->() RETURN count(r) AS n')).body.rows[0]!.n];
    const before = await counts();
    expect(before[0]).toBeGreaterThan(50);
    // Cypher escapes quotes with a backslash: a doubled quote ends the string, and what follows does not parse.
    const refused = await cypher("MATCH (n) WHERE n.name = 'x''; DROP TABLE knowledge.nodes; --' RETURN n");
    expect([refused.status, refused.body.code]).toEqual([400, 'query_unsupported']);
    const attempts: [string, Record<string, unknown>][] = [
      ["MATCH (n) WHERE n.name = 'x\\'; DELETE FROM knowledge.nodes; --' RETURN n", {}],
      ['MATCH (n:`Function; DROP TABLE knowledge.edges; --`) RETURN n', {}],
      ['MATCH (n)-[r:`CALLS\') OR 1=1; --`]->(m) RETURN n', {}],
      ['MATCH (n) WHERE n.`name) OR (1=1` = \'x\' RETURN n', {}],
      ['MATCH (n) WHERE n.name = $name RETURN n', { name: "x' OR '1'='1" }],
      ['MATCH (n) WHERE n.name IN $names RETURN n', { names: ["'); DELETE FROM knowledge.nodes; --"] }],
    ];
    for (const [query, parameters] of attempts) {
      const reply = await cypher(query, parameters);
      expect([query, reply.status, reply.body.rows]).toEqual([query, 200, []]);
    }
    expect(await counts()).toEqual(before);
  });

  it('gives agents the graph of their run\'s project through the executor\'s tools', async () => {
    const tools = new Map(codeGraphTools(system.bus).map((tool) => [tool.name, tool]));
    const stepOf = (job: Partial<StepJob>) => ({ job: { run_id: 'r1', step_id: 's1', ...job } as StepJob, toolCallId: 't1', signal: new AbortController().signal });
    const step = stepOf({ project_id: project.id, user_id: project.owner! });
    const found = await tools.get('code_graph_query')!.run({ query: 'square', limit: 1 }, step) as { results: Symbol[] };
    expect(found.results.map((r) => r.qualified_name)).toEqual(['square']);
    const ambiguous = await tools.get('code_graph_context')!.run({ symbol: 'main' }, step) as { ambiguous: boolean; candidates: unknown[] };
    expect([ambiguous.ambiguous, ambiguous.candidates.length]).toEqual([true, 3]);
    const impact = await tools.get('code_graph_impact')!.run({ target: 'square' }, step) as { by_depth: { symbols: Symbol[] }[] };
    expect(impact.by_depth[0]!.symbols.map((s) => s.qualified_name).sort()).toEqual(['Circle.area', 'main']);
    // The working tree still holds the change to js/lib/util.js of the re-index test.
    const changes = await tools.get('code_graph_changes')!.run({}, step) as { changed_symbols: Symbol[]; impacted: Symbol[] };
    expect(changes.changed_symbols.map((s) => s.qualified_name)).toEqual(['helper', 'extra']);
    expect(changes.impacted.map((s) => s.qualified_name)).toEqual(['App.run']);
    // A run of another user, and a run of no project, get no graph.
    await expect(tools.get('code_graph_query')!.run({ query: 'square' }, stepOf({ project_id: project.id, user_id: 'someone-else' }))).rejects.toThrow(/no project/);
    await expect(tools.get('code_graph_query')!.run({ query: 'square' }, stepOf({ user_id: project.owner! }))).rejects.toThrow('this run works on no project');
  });

  it('indexes with a progress bar, searches, queries and weighs impact from the cadre CLI', async () => {
    const { cadre, json } = cliRunner(() => ({ ...process.env, CADRE_URL: system.baseUrl, CADRE_TOKEN: token, CADRE_CONFIG: join(repo, '.no-config.json') }));
    const indexing = await cadre('graph', 'index', project.id, '--force', '--wait');
    expect(indexing.code).toBe(0);
    expect(indexing.stderr).toContain('[####################] complete 15 files');
    expect(indexing.stdout).toMatch(/^Index \S+ complete: 15 files \(15 parsed, 0 unchanged\), 39 symbols/);
    const found = await json<{ results: Symbol[] }>('graph', 'query', project.id, 'barks');
    expect(found.results.map((r) => r.qualified_name)).toEqual(['Dog']);
    const matched = await cadre('graph', 'query', project.id, "MATCH (c:Class {name: 'Dog'})-[:EXTENDS]->(b) RETURN b.name AS base");
    expect(matched.stdout).toBe('| base |\n| --- |\n| Animal |\n1 rows\n');
    const impact = await cadre('graph', 'impact', project.id, 'square', '--depth', '1');
    expect(impact.stdout.split('\n')[0]).toMatch(/^Risk (LOW|MEDIUM|HIGH|CRITICAL): 2 direct, 2 in all/);
    expect(impact.stdout).toContain('Circle.area');
    const wrong = await cadre('graph', 'impact', project.id, 'main');
    expect([wrong.code, wrong.stderr]).toEqual([1, expect.stringContaining('[ambiguous_symbol]')]);
  });

  it('indexes Cadre\'s own source tree: context names a known function\'s callers; a runaway path query stops at the timeout', async () => {
    // Cadre's source as committed (git archive of HEAD): the working tree also holds what other suites
    // write while this one runs, which is no part of Cadre's source.
    const tree = mkdtempSync(join(tmpdir(), 'cadre-own-tree-'));
    trees.push(tree);
    execFileSync('tar', ['-x', '-C', tree], { input: execFileSync('git', ['archive', '--format=tar', 'HEAD'], { cwd: CADRE_ROOT, maxBuffer: 256 * 1024 * 1024 }) });
    const cadre = (await api<ProjectView>('POST', '/v1/projects', { name: 'Cadre', repository: tree })).body;
    const job = await indexed(cadre.id);
    expect(job.counts.files_total).toBeGreaterThan(500);
    expect(job.counts.parse_errors).toBe(0);
    const context = await api<{ callers: Symbol[] } & ErrorBody>('GET', `/v1/projects/${cadre.id}/knowledge-graph/context/checkLocalPath`);
    expect([context.status, context.body.error]).toEqual([200, undefined]);
    expect(context.body.callers.map((s) => `${s.file}#${s.qualified_name} ${s.reason}`).sort()).toEqual([
      'services/knowledge/src/handlers/indexing.ts#indexingEndpoints import-resolved',
      'services/knowledge/src/index/repository.ts#materialize same-file',
      // A call at a test file's top level (inside its describe callbacks) is the file's.
      'services/knowledge/src/index/repository.unit.test.ts#services/knowledge/src/index/repository.unit.test.ts import-resolved',
    ]);
    const runaway = await cypher('MATCH (a)-[*1..10]-(b) RETURN count(*) AS paths', {}, cadre.id);
    expect([runaway.status, runaway.body.code]).toEqual([422, 'query_timeout']);
    expect(runaway.body.error).toContain(`${QUERY_TIMEOUT_MS} ms`);
    // The service still answers.
    expect((await cypher("MATCH (f:Function {name: 'checkLocalPath'}) RETURN f.file AS file", {}, cadre.id)).body.rows)
      .toEqual([{ file: 'services/knowledge/src/index/repository.ts' }]);
    // A long walk from a narrowed end starts there (forwards from the left, backwards from the right), well inside the timeout.
    const down = await cypher("MATCH (a:Function {name: 'runIndexJob'})-[r:CALLS*1..4]->(b) RETURN count(DISTINCT b) AS reached, max(size(r)) AS longest", {}, cadre.id);
    expect([down.status, down.body.error]).toEqual([200, undefined]);
    expect(down.body.rows[0]!.reached).toBeGreaterThan(10);
    const up = await cypher("MATCH (a)-[r:CALLS*1..6]->(b:Function {name: 'checkLocalPath'}) RETURN DISTINCT a.name AS caller, r AS path, size(r) AS hops ORDER BY hops, caller LIMIT 3", {}, cadre.id);
    expect([up.status, up.body.error]).toEqual([200, undefined]);
    // Path order reads from the left node to the right one, though the walk went backwards.
    expect(up.body.rows[0]).toMatchObject({ caller: 'indexingEndpoints', path: [{ type: 'CALLS', reason: 'import-resolved' }] });
    expect((up.body.rows as { path: unknown[] }[]).every((row) => row.path.length >= 1)).toBe(true);
  });
});
