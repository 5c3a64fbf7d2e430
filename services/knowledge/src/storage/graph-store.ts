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
      `insert into "${schema}".nodes (project_id, id, label, name, qualified, file, language, start_line, end_line, signature, doc, community, props, search)
       select $1, n.id, n.label, n.name, n.qualified, n.file, n.language, n.start_line, n.end_line, n.signature, n.doc, n.community, n.props,
         setweight(to_tsvector('simple', n.words), 'A') || setweight(to_tsvector('simple', n.sig_words), 'C') || setweight(to_tsvector('english', n.doc), 'D')
       from unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int[], $10::text[], $11::text[], $12::int[], $13::jsonb[], $14::text[], $15::text[])
         as n(id, label, name, qualified, file, language, start_line, end_line, signature, doc, community, props, words, sig_words)`,
      [projectId, column((n) => n.id), column((n) => n.label), column((n) => n.name), column((n) => n.qualified), column((n) => n.file),
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

/** Replaces a project's graph and file facts in one transaction: readers see the old graph or the new one. */
export async function storeGraph(pool: Pool, schema: string, graph: StoredGraph): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    // One writer per project at a time (two replicas finishing the same job take turns).
    await client.query('select pg_advisory_xact_lock(hashtext($1))', [`knowledge:${graph.projectId}`]);
    await client.query(`delete from "${schema}".edges where project_id = $1`, [graph.projectId]);
    await client.query(`delete from "${schema}".nodes where project_id = $1`, [graph.projectId]);
    await insertNodes(client, schema, graph.projectId, graph.nodes);
    await insertEdges(client, schema, graph.projectId, graph.edges);
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
