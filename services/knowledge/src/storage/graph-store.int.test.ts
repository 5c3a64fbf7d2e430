import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { migrateService } from '@cadre/kit';
import { createTestDatabase, type TestDatabase } from '@cadre/testing';
import { indexRepository, type IndexOutput } from '../index/pipeline';
import { SIX_LANGUAGES, writeRepository } from '../test-support/repo';
import { GraphCache, storeGraph, type StoredState } from './graph-store';
import { knowledgeMigrations } from './migrations';

// The graph written as a difference from what a replica remembers: a replica whose memory is stale
// (another replica stored a later index) reads the stored graph again, and the stored graph always
// equals the graph of the last index, node for node and edge for edge.

describe('stored graph and the replica cache', () => {
  let database: TestDatabase;
  let pool: Pool;
  let root: string;
  const project = 'p-cache';
  beforeAll(async () => {
    database = await createTestDatabase('cadre_knowledge_store');
    pool = new Pool({ connectionString: database.url, max: 4 });
    await pool.query('create schema knowledge');
    await migrateService(pool, 'knowledge', 'knowledge_migration', knowledgeMigrations('knowledge'));
    root = writeRepository(SIX_LANGUAGES);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.dispose();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const index = (base: StoredState): Promise<IndexOutput> => indexRepository(
    { root, maxFileBytes: 1 << 20, maxFiles: 1_000, previous: base.files, ...(base.partition ? { partition: base.partition } : {}) },
    async () => undefined, async () => undefined,
  );
  const store = (jobId: string, result: IndexOutput, base?: StoredState) => storeGraph(pool, 'knowledge', {
    projectId: project, owner: 'u1', repository: root, root, jobId, indexedAt: new Date(), counts: result.counts as Record<string, number>,
    modularity: result.modularity, nodes: result.nodes, edges: result.edges, parsed: result.parsed, present: result.present,
  }, base);
  /** The graph by keys: what is stored, or what an index produced. */
  const storedGraph = async () => {
    const nodes = (await pool.query<{ id: number; key: string; label: string; start_line: number | null; end_line: number | null; community: number | null }>(
      'select id, key, label, start_line, end_line, community from knowledge.nodes where project_id = $1', [project])).rows;
    const edges = (await pool.query<{ source: number; target: number; type: string; confidence: number; reason: string }>(
      'select source, target, type, confidence::float8 as confidence, reason from knowledge.edges where project_id = $1', [project])).rows;
    const key = new Map(nodes.map((n) => [n.id, n.key]));
    return {
      nodes: nodes.map((n) => `${n.key} ${n.label} ${n.start_line}-${n.end_line} c${n.community ?? ''}`).sort(),
      edges: edges.map((e) => `${key.get(e.source)} -${e.type}-> ${key.get(e.target)} ${e.confidence.toFixed(2)} ${e.reason}`).sort(),
    };
  };
  const graphOf = (result: IndexOutput) => {
    const key = new Map(result.nodes.map((n) => [n.id, n.key]));
    return {
      nodes: result.nodes.map((n) => `${n.key} ${n.label} ${n.startLine}-${n.endLine} c${n.community ?? ''}`).sort(),
      edges: result.edges.map((e) => `${key.get(e.source)} -${e.type}-> ${key.get(e.target)} ${e.confidence.toFixed(2)} ${e.reason}`).sort(),
    };
  };

  it('reads the stored graph again when another replica stored a later index, and stores exactly the last index', async () => {
    const replicaA = new GraphCache(2);
    const replicaB = new GraphCache(2);

    const emptyA = await replicaA.current(pool, 'knowledge', project);
    expect(emptyA.jobId).toBeNull();
    const first = await index(emptyA);
    const storedA = await store('j1', first, emptyA);
    replicaA.remember(project, { ...storedA.state, partition: first.partition });
    expect(storedA.written.nodesWritten).toBe(first.nodes.length);
    expect(await storedGraph()).toEqual(graphOf(first));
    // Nothing changed: the cached state is used as it is, and nothing is written.
    const same = await replicaA.current(pool, 'knowledge', project);
    expect(same.partition).toBe(first.partition);
    const unchanged = await index(same);
    expect(unchanged.counts).toMatchObject({ files_parsed: 0, files_reused: 15 });
    expect(unchanged.incremental).toBe(true);
    const again = await store('j1b', unchanged, same);
    expect(again.written).toEqual({ nodesWritten: 0, nodesDropped: 0, edgesAdded: 0, edgesDropped: 0 });
    replicaA.remember(project, { ...again.state, partition: unchanged.partition });

    // Replica B (nothing in memory) indexes a new function: it reads the stored graph.
    const baseB = await replicaB.current(pool, 'knowledge', project);
    expect(baseB.jobId).toBe('j1b');
    // The partition is read back with the graph (stored single precision weights and all): with the
    // links unchanged B moves no symbol, and every symbol keeps the community number A gave it.
    expect(baseB.partition?.communityOf.size).toBeGreaterThan(0);
    const sameLinks = await indexRepository(
      { root, maxFileBytes: 1 << 20, maxFiles: 1_000, previous: new Map(), partition: baseB.partition! }, async () => undefined, async () => undefined,
    );
    expect(sameLinks.incremental).toBe(true);
    expect(sameLinks.nodes.filter((n) => n.label !== 'Community').map((n) => [n.key, n.community ?? null]))
      .toEqual(first.nodes.filter((n) => n.label !== 'Community').map((n) => [n.key, n.community ?? null]).filter(([key]) => sameLinks.nodes.some((m) => m.key === key)));
    writeFileSync(join(root, 'ts/src/main.ts'), `${SIX_LANGUAGES['ts/src/main.ts']}export function later(): number { return sq(5); }\n`);
    const second = await index(baseB);
    expect(second.counts).toMatchObject({ files_parsed: 1 });
    const communityByKey = (result: IndexOutput) => new Map(result.nodes.filter((n) => n.community !== undefined).map((n) => [n.key, n.community]));
    const before = communityByKey(first);
    const after = communityByKey(second);
    for (const [key, community] of before) if (after.has(key)) expect([key, after.get(key)]).toEqual([key, community]);
    const storedB = await store('j2', second, baseB);
    replicaB.remember(project, { ...storedB.state, partition: second.partition });
    expect(await storedGraph()).toEqual(graphOf(second));

    // Replica A remembers j1b: stale, so it reads again (and sees B's function).
    writeFileSync(join(root, 'js/lib/util.js'), 'export function helper() { return 3; }\nexport function extra() { return helper(); }\n');
    const baseA = await replicaA.current(pool, 'knowledge', project);
    expect(baseA.jobId).toBe('j2');
    expect(baseA.nodes.has('ts/src/main.ts#later')).toBe(true);
    const third = await index(baseA);
    await store('j3', third, baseA);
    expect(await storedGraph()).toEqual(graphOf(third));
    expect((await storedGraph()).nodes.some((n) => n.startsWith('js/lib/util.js#extra '))).toBe(true);

    // A writer handed a stale state (B's, from before j3) still stores exactly its graph: the store checks
    // inside its transaction which graph is stored, and diffs against that one.
    rmSync(join(root, 'js/lib/util.js'));
    const fourth = await index(baseA);
    await store('j4', fourth, storedB.state);
    const final = await storedGraph();
    expect(final).toEqual(graphOf(fourth));
    expect(final.nodes.some((n) => n.startsWith('js/lib/util.js'))).toBe(false);
    // Node ids stay with their keys across all of it.
    const ids = await pool.query<{ key: string; id: number }>('select key, id from knowledge.nodes where project_id = $1 and key = $2', [project, 'ts/src/shapes.ts#square']);
    expect(ids.rows[0]!.id).toBe(storedA.state.nodes.get('ts/src/shapes.ts#square')!.id);
  });

  it('tells two stores of one job apart: the replica whose write was not the last reads the graph again', async () => {
    writeFileSync(join(root, 'js/lib/util.js'), 'export function helper() { return 5; }\n');
    const replicaA = new GraphCache(2);
    const replicaB = new GraphCache(2);
    const [baseA, baseB] = await Promise.all([replicaA.current(pool, 'knowledge', project), replicaB.current(pool, 'knowledge', project)]);
    // The same job run on both replicas (a redelivery while the first still ran): both store it, B last.
    const runA = await index(baseA);
    const storedA = await store('j5', runA, baseA);
    replicaA.remember(project, { ...storedA.state, partition: runA.partition });
    writeFileSync(join(root, 'js/lib/util.js'), 'export function helper() { return 6; }\nexport function late() { return helper(); }\n');
    const runB = await index(baseB);
    const storedB = await store('j5', runB, baseB);
    replicaB.remember(project, { ...storedB.state, partition: runB.partition });
    expect(storedA.state.jobId).toBe(storedB.state.jobId);
    // A's memory names the same job, but not the last write: it is read again, and holds B's function.
    const next = await replicaA.current(pool, 'knowledge', project);
    expect(next).not.toBe(storedA.state);
    expect(next.writeId).toBe(storedB.state.writeId);
    expect(next.nodes.has('js/lib/util.js#late')).toBe(true);
    const again = await index(next);
    await store('j6', again, next);
    expect(await storedGraph()).toEqual(graphOf(again));
  });

  it('keeps at most its capacity of projects in memory', async () => {
    const cache = new GraphCache(1);
    const state = await cache.current(pool, 'knowledge', project);
    cache.remember('other', { ...state, jobId: 'x' });
    // The project was pushed out: read again (a new object), not the one remembered.
    expect(await cache.current(pool, 'knowledge', project)).not.toBe(state);
  });
});
