import { sql, type Kysely } from 'kysely';
import type { Migrations } from '@cadre/kit';

/**
 * Tables of the knowledge service besides its event store (index jobs are event streams). Frozen:
 * a shipped migration never changes; a change is a new one.
 *
 * - `graphs`: one row per indexed project: its owner (queries check it), where its repository
 *   was read, when, the counts and the modularity of its communities.
 * - `files`: each file's content hash and what its parse found (`facts`), so a re-index parses
 *   only files whose content changed.
 * - `nodes` and `edges`: the graph (a project's new graph is written in one transaction). Nodes
 *   carry a full-text vector (name words over signature over doc comment) and a trigram index on
 *   the name; edges their type, confidence, reason and process step. A node keeps its id across
 *   indexes (found by its key: a path, `path#Qualified.name`, `community:N`, `process:N`), so a
 *   re-index writes only the nodes and edges that changed. Communities and processes
 *   are nodes too (labels `Community`, `Process`), their figures in `props`.
 */
export function knowledgeMigrations(schema: string): Migrations {
  const s = sql.id(schema);
  /* eslint-disable @typescript-eslint/no-explicit-any */
  return {
    '2026_12_06_0001_knowledge_tables': {
      async up(db: Kysely<any>) {
        await sql`create extension if not exists pg_trgm`.execute(db);
        await sql`create table ${s}.graphs (
          project_id text primary key, owner text, repository text not null, root text not null, job_id text not null,
          indexed_at timestamptz not null, counts jsonb not null, modularity double precision not null)`.execute(db);
        await sql`create table ${s}.files (
          project_id text not null, path text not null, hash text not null, facts jsonb not null, primary key (project_id, path))`.execute(db);
        await sql`create table ${s}.nodes (
          project_id text not null, id integer not null, key text not null, label text not null, name text not null, qualified text not null,
          file text, language text, start_line integer, end_line integer, signature text not null, doc text not null,
          community integer, props jsonb not null default '{}', search tsvector not null, primary key (project_id, id))`.execute(db);
        await sql`create index nodes_key on ${s}.nodes (project_id, key)`.execute(db);
        await sql`create index nodes_name on ${s}.nodes (project_id, name)`.execute(db);
        await sql`create index nodes_qualified on ${s}.nodes (project_id, qualified)`.execute(db);
        await sql`create index nodes_label on ${s}.nodes (project_id, label, id)`.execute(db);
        await sql`create index nodes_file on ${s}.nodes (project_id, file)`.execute(db);
        await sql`create index nodes_search on ${s}.nodes using gin (search)`.execute(db);
        await sql`create index nodes_name_trgm on ${s}.nodes using gin (lower(name) gin_trgm_ops)`.execute(db);
        await sql`create table ${s}.edges (
          project_id text not null, source integer not null, target integer not null, type text not null,
          confidence real not null, reason text not null, step integer)`.execute(db);
        await sql`create index edges_out on ${s}.edges (project_id, source, type)`.execute(db);
        await sql`create index edges_in on ${s}.edges (project_id, target, type)`.execute(db);
      },
    },
    // Each store of a graph gets an id of its own: a replica's memory of the stored graph is current
    // only while that write is the last one (two replicas can run one job, and store the same job id).
    '2026_12_06_0002_graph_write_id': {
      async up(db: Kysely<any>) {
        await sql`alter table ${s}.graphs add column write_id text`.execute(db);
      },
    },
  };
}
