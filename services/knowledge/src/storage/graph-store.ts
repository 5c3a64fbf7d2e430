import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { EDGE_REASONS, EDGE_TYPES, type GraphEdge, type GraphNode } from '../graph/model';
import { storedPartition, type Partition } from '../analysis/communities';
import type { FileFacts } from '../parse/facts';

const CHUNK = 5_000;
/** Rows written by one store past which the graph's tables are analyzed at once. */
const ANALYZE_AFTER_ROWS = 1_000;

/** Name words for search: `parseHttpRequest` and `parse_http_request` both give parse, http, request. */
export function nameWords(text: string): string {
  return text.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').replace(/[_\-.#/:]+/g, ' ').toLowerCase();
}

export interface StoredGraph {
  readonly projectId: string;
  readonly owner: string | null;
  readonly repository: string;
  readonly root: string;
  readonly jobId: string;
  readonly indexedAt: Date;
  readonly counts: Record<string, number>;
  readonly modularity: number;
  readonly nodes: readonly (GraphNode & { props?: Record<string, unknown> })[];
  readonly edges: readonly GraphEdge[];
  /** The facts of files parsed in this job (their new hash); files gone from the repository are removed. */
  readonly parsed: ReadonlyMap<string, { hash: string; facts: FileFacts }>;
  readonly present: readonly string[];
}

async function insertNodes(client: PoolClient, schema: string, projectId: string, nodes: StoredGraph['nodes']): Promise<void> {
  for (let from = 0; from < nodes.length; from += CHUNK) {
    const chunk = nodes.slice(from, from + CHUNK);
    const column = <T>(pick: (node: StoredGraph['nodes'][number]) => T): T[] => chunk.map(pick);
    await client.query(
      `insert into "${schema}".nodes (project_id, id, key, label, name, qualified, file, language, start_line, end_line, signature, doc, community, props, search)
       select $1, n.id, n.key, n.label, n.name, n.qualified, n.file, n.language, n.start_line, n.end_line, n.signature, n.doc, n.community, n.props,
         setweight(to_tsvector('simple', n.words), 'A') || setweight(to_tsvector('simple', n.sig_words), 'C') || setweight(to_tsvector('english', n.doc), 'D')
       from unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::int[], $11::text[], $12::text[], $13::int[], $14::jsonb[], $15::text[], $16::text[])
         as n(id, key, label, name, qualified, file, language, start_line, end_line, signature, doc, community, props, words, sig_words)`,
      [projectId, column((n) => n.id), column((n) => n.key), column((n) => n.label), column((n) => n.name), column((n) => n.qualified), column((n) => n.file),
        column((n) => n.language), column((n) => n.startLine), column((n) => n.endLine), column((n) => n.signature), column((n) => n.doc),
        column((n) => n.community ?? null), column((n) => JSON.stringify(n.props ?? {})),
        column((n) => `${n.name} ${nameWords(n.name)} ${nameWords(n.qualified)}`), column((n) => nameWords(n.signature))],
    );
  }
}

async function insertEdges(client: PoolClient, schema: string, projectId: string, edges: readonly GraphEdge[]): Promise<void> {
  for (let from = 0; from < edges.length; from += CHUNK) {
    const chunk = edges.slice(from, from + CHUNK);
    await client.query(
      `insert into "${schema}".edges (project_id, source, target, type, confidence, reason, step)
       select $1, * from unnest($2::int[], $3::int[], $4::text[], $5::real[], $6::text[], $7::int[])`,
      [projectId, chunk.map((e) => e.source), chunk.map((e) => e.target), chunk.map((e) => e.type), chunk.map((e) => e.confidence),
        chunk.map((e) => e.reason), chunk.map((e) => e.step ?? null)],
    );
  }
}

type StoredNode = StoredGraph['nodes'][number];

/** What decides whether a stored node must be written again: its fields and its props in a canonical key order. */
interface NodeRecord {
  readonly id: number;
  readonly label: string; readonly name: string; readonly qualified: string; readonly file: string | null; readonly language: string | null;
  readonly startLine: number | null; readonly endLine: number | null; readonly signature: string; readonly doc: string;
  readonly community: number | null; readonly props: string;
}
/** Props in a canonical key order (jsonb keeps its own order). */
const canonical = (props: Record<string, unknown> | undefined): string =>
  (props === undefined ? '{}' : JSON.stringify(props, Object.keys(props).sort()));
/** Field by field (a string of every field for 27k nodes per re-index cost more than the rest of the store). */
const sameNode = (a: NodeRecord, b: NodeRecord): boolean =>
  a.label === b.label && a.name === b.name && a.qualified === b.qualified && a.file === b.file && a.language === b.language
  && a.startLine === b.startLine && a.endLine === b.endLine && a.signature === b.signature && a.doc === b.doc
  && a.community === b.community && a.props === b.props;

/*
 * Edges are compared as numbers (78k string keys and prints per re-index cost more than the rest of the
 * store): the key packs source, target and type (ids below 2^24), the print confidence, reason and step.
 */
const TYPE_CODE = new Map<string, number>(EDGE_TYPES.map((type, index) => [type, index]));
const REASON_CODE = new Map<string, number>(EDGE_REASONS.map((reason, index) => [reason, index]));
const MAX_ID = 2 ** 24;
const edgeKey = (source: number, target: number, type: string): number => (source * MAX_ID + target) * 8 + TYPE_CODE.get(type)!;
const decodeEdgeKey = (key: number): { source: number; target: number; type: string } => {
  const pair = Math.floor(key / 8);
  return { source: Math.floor(pair / MAX_ID), target: pair % MAX_ID, type: EDGE_TYPES[key % 8]! };
};
const edgePrint = (confidence: number, reason: string, step: number | null | undefined): number =>
  (Math.round(confidence * 10_000) * 32 + REASON_CODE.get(reason)!) * 100_000 + (step ?? 99_999);

/**
 * A project's graph as it is stored, in the form a re-index compares against: each node's id and
 * fingerprint by key, each edge's print by (source, target, type), each file's hash and facts, and
 * the job that stored it. Kept in memory between jobs (`GraphCache`), so a re-index neither reads
 * the stored graph back nor the facts of unchanged files.
 */
export interface StoredState {
  readonly jobId: string | null;
  /** The store that wrote it (each write has its own id; null for a graph stored before write ids). */
  readonly writeId: string | null;
  readonly nodes: ReadonlyMap<string, NodeRecord>;
  readonly maxId: number;
  readonly edges: ReadonlyMap<number, number>;
  readonly files: ReadonlyMap<string, { hash: string; facts: FileFacts }>;
  /** The communities of the stored graph (kept from the job that stored it, or read back with it). */
  readonly partition?: Partition;
}

const EMPTY: StoredState = { jobId: null, writeId: null, nodes: new Map(), maxId: 0, edges: new Map(), files: new Map() };

/** Reads a project's stored graph (`client` may be inside a transaction). */
export async function loadStoredState(client: Pick<Pool, 'query'>, schema: string, projectId: string): Promise<StoredState> {
  const s = `"${schema}"`;
  const graph = await client.query<{ job_id: string; write_id: string | null }>(`select job_id, write_id from ${s}.graphs where project_id = $1`, [projectId]);
  if (graph.rows.length === 0) return EMPTY;
  const [{ rows: nodeRows }, { rows: edgeRows }, { rows: fileRows }] = await Promise.all([
    client.query<{
      id: number; key: string; label: string; name: string; qualified: string; file: string | null; language: string | null;
      start_line: number | null; end_line: number | null; signature: string; doc: string; community: number | null; props: Record<string, unknown>;
    }>(`select id, key, label, name, qualified, file, language, start_line, end_line, signature, doc, community, props from ${s}.nodes where project_id = $1`, [projectId]),
    client.query<{ source: number; target: number; type: string; confidence: number; reason: string; step: number | null }>(
      `select source, target, type, confidence::float8 as confidence, reason, step from ${s}.edges where project_id = $1`, [projectId]),
    client.query<{ path: string; hash: string; facts: FileFacts }>(`select path, hash, facts from ${s}.files where project_id = $1`, [projectId]),
  ]);
  const partition = storedPartition({
    nodes: nodeRows.map((row) => ({ id: row.id, key: row.key, label: row.label, community: row.community ?? undefined }) as GraphNode),
    edges: edgeRows.map((edge) => ({ source: edge.source, target: edge.target, type: edge.type, confidence: edge.confidence }) as GraphEdge),
  });
  const nodes = new Map(nodeRows.map((row) => [row.key, {
    id: row.id, label: row.label, name: row.name, qualified: row.qualified, file: row.file, language: row.language, startLine: row.start_line,
    endLine: row.end_line, signature: row.signature, doc: row.doc, community: row.community, props: canonical(row.props),
  } satisfies NodeRecord]));
  return {
    jobId: graph.rows[0]!.job_id,
    writeId: graph.rows[0]!.write_id,
    nodes,
    maxId: nodeRows.reduce((max, row) => Math.max(max, row.id), 0),
    edges: new Map(edgeRows.map((edge) => [edgeKey(edge.source, edge.target, edge.type), edgePrint(edge.confidence, edge.reason, edge.step)])),
    files: new Map(fileRows.map((row) => [row.path, { hash: row.hash, facts: row.facts }])),
    ...(partition !== undefined ? { partition } : {}),
  };
}

/**
 * Writes the difference between the stored graph (`base`) and the new one: a node keeps the id it
 * had (found by its key), new nodes take ids after the highest, and only nodes and edges that are
 * new, changed or gone are inserted or deleted. Ids inside props (a process's entry and terminal)
 * follow. Answers what it wrote and the state now stored.
 */
async function writeDiff(client: PoolClient, schema: string, graph: StoredGraph, base: StoredState, writeId: string): Promise<{ written: WriteCounts; state: StoredState }> {
  const s = `"${schema}"`;
  let next = base.maxId;
  const idOf = new Map<number, number>();
  for (const node of graph.nodes) idOf.set(node.id, base.nodes.get(node.key)?.id ?? ++next);
  const remapProps = (props: Record<string, unknown> | undefined): Record<string, unknown> | undefined => {
    if (props === undefined) return undefined;
    const out = { ...props };
    for (const field of ['entry_id', 'terminal_id']) if (typeof out[field] === 'number') out[field] = idOf.get(out[field]) ?? out[field];
    return out;
  };
  const nodes = new Map<string, NodeRecord>();
  const write: StoredNode[] = [];
  const drop: number[] = [];
  for (const original of graph.nodes) {
    const id = idOf.get(original.id)!;
    const props = original.props !== undefined && ('entry_id' in original.props || 'terminal_id' in original.props) ? remapProps(original.props) : original.props;
    const record: NodeRecord = {
      id, label: original.label, name: original.name, qualified: original.qualified, file: original.file, language: original.language,
      startLine: original.startLine, endLine: original.endLine, signature: original.signature, doc: original.doc,
      community: original.community ?? null, props: canonical(props),
    };
    nodes.set(original.key, record);
    const before = base.nodes.get(original.key);
    const same = before !== undefined && sameNode(before, record);
    if (!same) write.push({ ...original, id, props } as StoredNode);
    if (before !== undefined && !same) drop.push(before.id);
  }
  if (next >= MAX_ID) throw new Error(`a graph of ${next} nodes is more than the store takes (${MAX_ID})`);
  for (const [key, before] of base.nodes) if (!nodes.has(key)) drop.push(before.id);
  if (drop.length > 0) await client.query(`delete from ${s}.nodes where project_id = $1 and id = any($2::int[])`, [graph.projectId, drop]);
  await insertNodes(client, schema, graph.projectId, write);

  const edges = new Map<number, number>();
  const added: GraphEdge[] = [];
  for (const edge of graph.edges) {
    const source = idOf.get(edge.source)!;
    const target = idOf.get(edge.target)!;
    const key = edgeKey(source, target, edge.type);
    const print = edgePrint(edge.confidence, edge.reason, edge.step);
    edges.set(key, print);
    if (base.edges.get(key) !== print) added.push({ ...edge, source, target });
  }
  const gone = [...base.edges].filter(([key, print]) => edges.get(key) !== print).map(([key]) => decodeEdgeKey(key));
  for (let from = 0; from < gone.length; from += CHUNK) {
    const chunk = gone.slice(from, from + CHUNK);
    await client.query(
      `delete from ${s}.edges e using unnest($2::int[], $3::int[], $4::text[]) as g(source, target, type)
       where e.project_id = $1 and e.source = g.source and e.target = g.target and e.type = g.type`,
      [graph.projectId, chunk.map((e) => e.source), chunk.map((e) => e.target), chunk.map((e) => e.type)],
    );
  }
  await insertEdges(client, schema, graph.projectId, added);
  const present = new Set(graph.present);
  const files = new Map([...base.files].filter(([path]) => present.has(path)));
  for (const [path, file] of graph.parsed) files.set(path, file);
  return {
    written: { nodesWritten: write.length, nodesDropped: drop.length, edgesAdded: added.length, edgesDropped: gone.length },
    state: { jobId: graph.jobId, writeId, nodes, maxId: next, edges, files },
  };
}

/** What a store wrote: the difference from the graph stored before. */
export interface WriteCounts { readonly nodesWritten: number; readonly nodesDropped: number; readonly edgesAdded: number; readonly edgesDropped: number }

/**
 * Writes a project's new graph and file facts in one transaction (readers see the old graph or the
 * new one), as the difference from the stored one. `base` is the stored state the caller holds
 * (from its cache): used when it is still what is stored, else the stored state is read inside the
 * transaction. Answers what was written and the state now stored (for the cache).
 */
export async function storeGraph(pool: Pool, schema: string, graph: StoredGraph, base?: StoredState): Promise<{ written: WriteCounts; state: StoredState }> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    // One writer per project at a time (two replicas finishing the same job take turns).
    await client.query('select pg_advisory_xact_lock(hashtext($1))', [`knowledge:${graph.projectId}`]);
    const { rows: current } = await client.query<{ write_id: string | null }>(`select write_id from "${schema}".graphs where project_id = $1`, [graph.projectId]);
    const fresh = base !== undefined && (current.length === 0 ? base.writeId === null && base.jobId === null : base.writeId !== null && base.writeId === current[0]!.write_id);
    const stored = fresh ? base : await loadStoredState(client, schema, graph.projectId);
    const writeId = randomUUID();
    const result = await writeDiff(client, schema, graph, stored, writeId);
    const gone = [...stored.files.keys()].filter((path) => !result.state.files.has(path));
    if (gone.length > 0) await client.query(`delete from "${schema}".files where project_id = $1 and path = any($2::text[])`, [graph.projectId, gone]);
    const parsed = [...graph.parsed.entries()];
    for (let from = 0; from < parsed.length; from += CHUNK) {
      const chunk = parsed.slice(from, from + CHUNK);
      await client.query(
        `insert into "${schema}".files (project_id, path, hash, facts) select $1, * from unnest($2::text[], $3::text[], $4::jsonb[])
         on conflict (project_id, path) do update set hash = excluded.hash, facts = excluded.facts`,
        [graph.projectId, chunk.map(([path]) => path), chunk.map(([, f]) => f.hash), chunk.map(([, f]) => JSON.stringify(f.facts))],
      );
    }
    await client.query(
      `insert into "${schema}".graphs (project_id, owner, repository, root, job_id, indexed_at, counts, modularity, write_id) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (project_id) do update set owner = excluded.owner, repository = excluded.repository, root = excluded.root, job_id = excluded.job_id,
         indexed_at = excluded.indexed_at, counts = excluded.counts, modularity = excluded.modularity, write_id = excluded.write_id`,
      [graph.projectId, graph.owner, graph.repository, graph.root, graph.jobId, graph.indexedAt, JSON.stringify(graph.counts), graph.modularity, writeId],
    );
    await client.query('commit');
    // A large write leaves the planner without statistics until autovacuum comes round (up to a
    // minute): the graph's joins then get nested loops over whole tables, and a query of the new
    // graph can run for minutes. Analyzed at once after a write of this size.
    const { written } = result;
    if (written.nodesWritten + written.nodesDropped + written.edgesAdded + written.edgesDropped >= ANALYZE_AFTER_ROWS) {
      await client.query(`analyze "${schema}".nodes, "${schema}".edges`);
    }
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * The stored state of the last few projects indexed by this replica, so a re-index reads nothing
 * back. An entry is used only while the project's stored graph is still the one it describes
 * (the id of the write that stored it); another replica's store makes it stale, and it is read again.
 */
export class GraphCache {
  private readonly entries = new Map<string, StoredState>();
  constructor(private readonly capacity: number) {}

  /** The stored state of a project: from memory when it is still current, else read. */
  async current(pool: Pool, schema: string, projectId: string): Promise<StoredState> {
    const cached = this.entries.get(projectId);
    if (cached !== undefined && cached.writeId !== null) {
      const { rows } = await pool.query<{ write_id: string | null }>(`select write_id from "${schema}".graphs where project_id = $1`, [projectId]);
      if (rows[0]?.write_id === cached.writeId) {
        this.remember(projectId, cached);
        return cached;
      }
    }
    const state = await loadStoredState(pool, schema, projectId);
    this.remember(projectId, state);
    return state;
  }

  /** Drops what is remembered of a project (a store that failed leaves the memory in doubt). */
  forget(projectId: string): void {
    this.entries.delete(projectId);
  }

  remember(projectId: string, state: StoredState): void {
    this.entries.delete(projectId);
    if (this.capacity <= 0) return;
    this.entries.set(projectId, state);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

export interface GraphRow {
  readonly project_id: string;
  readonly owner: string | null;
  readonly repository: string;
  readonly root: string;
  readonly job_id: string;
  readonly indexed_at: Date;
  readonly counts: Record<string, number>;
  readonly modularity: number;
}

export async function graphRow(pool: Pool, schema: string, projectId: string): Promise<GraphRow | undefined> {
  const { rows } = await pool.query<GraphRow>(`select * from "${schema}".graphs where project_id = $1`, [projectId]);
  return rows[0];
}
