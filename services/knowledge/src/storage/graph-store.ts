import type { Pool, PoolClient } from 'pg';
import type { GraphEdge, GraphNode } from '../graph/model';
import type { FileFacts } from '../parse/facts';

const CHUNK = 5_000;

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

/** What decides whether a stored node must be written again. */
interface Printable {
  readonly label: string; readonly name: string; readonly qualified: string; readonly file: string | null; readonly language: string | null;
  readonly startLine: number | null; readonly endLine: number | null; readonly signature: string; readonly doc: string;
  readonly community?: number | null; readonly props?: Record<string, unknown> | undefined;
}
/** Props in a canonical key order (jsonb keeps its own order). */
const canonical = (props: Record<string, unknown> | undefined): string => JSON.stringify(props ?? {}, Object.keys(props ?? {}).sort());
const fingerprint = (n: Printable): string =>
  JSON.stringify([n.label, n.name, n.qualified, n.file, n.language, n.startLine, n.endLine, n.signature, n.doc, n.community ?? null, canonical(n.props)]);
const edgeKey = (source: number, target: number, type: string): string => `${source}>${target}>${type}`;
const edgePrint = (confidence: number, reason: string, step: number | null | undefined): string => `${confidence.toFixed(4)}|${reason}|${step ?? ''}`;

/**
 * Writes the difference between the stored graph and the new one: a node keeps the id it had
 * (found by its key), new nodes take ids after the highest, and only nodes and edges that are new,
 * changed or gone are inserted or deleted. Ids inside props (a process's entry and terminal) follow.
 */
async function writeDiff(client: PoolClient, schema: string, graph: StoredGraph): Promise<void> {
  const s = `"${schema}"`;
  const { rows: stored } = await client.query<{
    id: number; key: string; label: string; name: string; qualified: string; file: string | null; language: string | null;
    start_line: number | null; end_line: number | null; signature: string; doc: string; community: number | null; props: Record<string, unknown>;
  }>(`select id, key, label, name, qualified, file, language, start_line, end_line, signature, doc, community, props from ${s}.nodes where project_id = $1`, [graph.projectId]);
  const byKey = new Map(stored.map((row) => [row.key, row]));
  let next = stored.reduce((max, row) => Math.max(max, row.id), 0);
  const idOf = new Map<number, number>();
  for (const node of graph.nodes) idOf.set(node.id, byKey.get(node.key)?.id ?? ++next);
  const remapProps = (props: Record<string, unknown> | undefined): Record<string, unknown> | undefined => {
    if (props === undefined) return undefined;
    const out = { ...props };
    for (const field of ['entry_id', 'terminal_id']) if (typeof out[field] === 'number') out[field] = idOf.get(out[field]) ?? out[field];
    return out;
  };
  const nodes = graph.nodes.map((node) => ({ ...node, id: idOf.get(node.id)!, props: remapProps(node.props) }) as StoredNode);
  const keep = new Set(nodes.map((node) => node.key));
  const write = nodes.filter((node) => {
    const row = byKey.get(node.key);
    return row === undefined || fingerprint({ ...row, startLine: row.start_line, endLine: row.end_line }) !== fingerprint(node);
  });
  const drop = [...stored.filter((row) => !keep.has(row.key)).map((row) => row.id), ...write.filter((node) => byKey.has(node.key)).map((node) => node.id)];
  if (drop.length > 0) await client.query(`delete from ${s}.nodes where project_id = $1 and id = any($2::int[])`, [graph.projectId, drop]);
  await insertNodes(client, schema, graph.projectId, write);

  const { rows: storedEdges } = await client.query<{ source: number; target: number; type: string; confidence: number; reason: string; step: number | null }>(
    `select source, target, type, confidence::float8 as confidence, reason, step from ${s}.edges where project_id = $1`, [graph.projectId],
  );
  const edges = graph.edges.map((edge) => ({ ...edge, source: idOf.get(edge.source)!, target: idOf.get(edge.target)! }));
  const wanted = new Map(edges.map((edge) => [edgeKey(edge.source, edge.target, edge.type), edge]));
  const had = new Map(storedEdges.map((edge) => [edgeKey(edge.source, edge.target, edge.type), edge]));
  const gone = storedEdges.filter((edge) => {
    const now = wanted.get(edgeKey(edge.source, edge.target, edge.type));
    return now === undefined || edgePrint(now.confidence, now.reason, now.step) !== edgePrint(edge.confidence, edge.reason, edge.step);
  });
  const added = edges.filter((edge) => {
    const before = had.get(edgeKey(edge.source, edge.target, edge.type));
    return before === undefined || edgePrint(before.confidence, before.reason, before.step) !== edgePrint(edge.confidence, edge.reason, edge.step);
  });
  for (let from = 0; from < gone.length; from += CHUNK) {
    const chunk = gone.slice(from, from + CHUNK);
    await client.query(
      `delete from ${s}.edges e using unnest($2::int[], $3::int[], $4::text[]) as g(source, target, type)
       where e.project_id = $1 and e.source = g.source and e.target = g.target and e.type = g.type`,
      [graph.projectId, chunk.map((e) => e.source), chunk.map((e) => e.target), chunk.map((e) => e.type)],
    );
  }
  await insertEdges(client, schema, graph.projectId, added);
}

/**
 * Writes a project's new graph and file facts in one transaction (readers see the old graph or the
 * new one), as the difference from the stored one.
 */
export async function storeGraph(pool: Pool, schema: string, graph: StoredGraph): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    // One writer per project at a time (two replicas finishing the same job take turns).
    await client.query('select pg_advisory_xact_lock(hashtext($1))', [`knowledge:${graph.projectId}`]);
    await writeDiff(client, schema, graph);
    await client.query(`delete from "${schema}".files where project_id = $1 and not (path = any($2::text[]))`, [graph.projectId, graph.present]);
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
      `insert into "${schema}".graphs (project_id, owner, repository, root, job_id, indexed_at, counts, modularity) values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (project_id) do update set owner = excluded.owner, repository = excluded.repository, root = excluded.root, job_id = excluded.job_id,
         indexed_at = excluded.indexed_at, counts = excluded.counts, modularity = excluded.modularity`,
      [graph.projectId, graph.owner, graph.repository, graph.root, graph.jobId, graph.indexedAt, JSON.stringify(graph.counts), graph.modularity],
    );
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The stored hash and facts of each file of a project's last index. */
export async function storedFacts(pool: Pool, schema: string, projectId: string): Promise<Map<string, { hash: string; facts: FileFacts }>> {
  const { rows } = await pool.query<{ path: string; hash: string; facts: FileFacts }>(
    `select path, hash, facts from "${schema}".files where project_id = $1`, [projectId],
  );
  return new Map(rows.map((row) => [row.path, { hash: row.hash, facts: row.facts }]));
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
