import { sql, type Kysely } from 'kysely';
import type { Migrations } from '@cadre/kit';

/**
 * Tables of the memory service besides its event store. Frozen: a shipped migration never
 * changes; a change is a new one.
 *
 * - `memories`: the current content of every memory (a read model of the memory streams; each row
 *   carries its stream version, and a deleted one stays as a tombstone so a late event cannot bring
 *   it back), with its full-text vector (title weighted over tags over body) under a GIN index.
 * - `memory_words`: every word memories use, under a trigram index: a query word no memory has is
 *   corrected to the nearest known words (the pg_trgm way of spelling suggestions).
 * - `memory_vectors`: one embedding per memory with its model and dimensions, and a sequence number
 *   each replica's in-process index follows; `memories.needs_embedding` marks what the background
 *   embedder has to do (a changed text, a changed model) without scanning every memory.
 * - `memory_scores` and `memory_score_applied`: counts behind the adaptive score, each event counted once.
 * - `memory_imports`: an import's files and progress; `documents` and `document_sections`.
 * - `embedding_provider_key`: the sealed key of the provider set through the API; `memory_settings`
 *   the sealing key generated once when CADRE_SECRET_KEY is unset.
 */
export function memoryMigrations(schema: string): Migrations {
  const s = sql.id(schema);
  /* eslint-disable @typescript-eslint/no-explicit-any */
  return {
    '2026_12_06_0001_memory_tables': {
      async up(db: Kysely<any>) {
        await sql`create extension if not exists pg_trgm`.execute(db);
        await sql`create table ${s}.memories (
          id text primary key, owner text, agent_id text not null, shared boolean not null,
          title text not null, body text not null, type text not null, tags text[] not null, links text[] not null,
          version integer not null, deleted boolean not null default false,
          created_at timestamptz not null, updated_at timestamptz not null, search tsvector not null,
          needs_embedding boolean not null default true)`.execute(db);
        await sql`create index memories_search on ${s}.memories using gin (search)`.execute(db);
        await sql`create index memories_vault on ${s}.memories (agent_id, owner, updated_at desc, id desc) where not deleted`.execute(db);
        await sql`create index memories_to_embed on ${s}.memories (updated_at) where needs_embedding and not deleted`.execute(db);
        await sql`create index memories_title_trgm on ${s}.memories using gin (lower(title) gin_trgm_ops) where not deleted`.execute(db);
        await sql`create table ${s}.memory_words (word text primary key)`.execute(db);
        await sql`create index memory_words_trgm on ${s}.memory_words using gin (word gin_trgm_ops)`.execute(db);
        await sql`create sequence ${s}.memory_vector_seq`.execute(db);
        await sql`create table ${s}.memory_vectors (
          memory_id text primary key, owner text, agent_id text not null, model text not null, dimensions integer not null,
          vector bytea, content_hash text not null, seq bigint not null)`.execute(db);
        await sql`create index memory_vectors_seq on ${s}.memory_vectors (seq)`.execute(db);
        await sql`create table ${s}.memory_scores (
          agent_id text not null, memory_id text not null, owner text,
          access_count integer not null default 0, useful_count integer not null default 0, not_useful_count integer not null default 0,
          last_accessed timestamptz, last_valued timestamptz, primary key (agent_id, memory_id))`.execute(db);
        await sql`create table ${s}.memory_score_applied (event_id text primary key)`.execute(db);
        await sql`create table ${s}.memory_gaps (
          event_id text primary key, owner text, agent_id text not null, query text not null, run_id text, created_at timestamptz not null)`.execute(db);
        await sql`create table ${s}.memory_imports (
          import_id text primary key, owner text, agent_id text not null, status text not null, files jsonb not null, worker text,
          saved integer not null default 0, unchanged integer not null default 0, failed integer not null default 0,
          errors jsonb not null default '[]', created_at timestamptz not null, updated_at timestamptz not null)`.execute(db);
        await sql`create table ${s}.documents (
          id text primary key, owner text, title text not null, name text not null, format text not null,
          size_bytes integer not null, sections integer not null, sha256 text not null, created_at timestamptz not null,
          status text not null default 'ready', error text)`.execute(db);
        await sql`create table ${s}.document_uploads (
          document_id text primary key references ${s}.documents (id) on delete cascade, name text not null, format text not null,
          title text, bytes bytea not null)`.execute(db);
        await sql`create index documents_owner on ${s}.documents (owner, created_at desc)`.execute(db);
        await sql`create table ${s}.document_sections (
          document_id text not null references ${s}.documents (id) on delete cascade, id text not null, ordinal integer not null,
          parent_id text, level integer not null, heading text not null, path text[] not null, content text not null,
          search tsvector not null, needs_embedding boolean not null default true, primary key (document_id, id))`.execute(db);
        await sql`create index document_sections_search on ${s}.document_sections using gin (search)`.execute(db);
        await sql`create index document_sections_to_embed on ${s}.document_sections (document_id) where needs_embedding`.execute(db);
        await sql`create table ${s}.document_vectors (
          id text primary key, document_id text not null references ${s}.documents (id) on delete cascade, owner text,
          model text not null, dimensions integer not null, vector bytea, content_hash text not null, seq bigint not null)`.execute(db);
        await sql`create index document_vectors_seq on ${s}.document_vectors (seq)`.execute(db);
      },
    },
    // The embeddings provider set through the API: its key sealed (the provider itself is an event
    // stream), and the key that seals it when CADRE_SECRET_KEY is not set.
    '2026_12_06_0002_embedding_provider_key': {
      async up(db: Kysely<any>) {
        await sql`create table ${s}.embedding_provider_key (
          singleton boolean primary key default true check (singleton), sealed text not null, updated_at timestamptz not null)`.execute(db);
        await sql`create table ${s}.memory_settings (name text primary key, value text not null)`.execute(db);
      },
    },
  };
  /* eslint-enable @typescript-eslint/no-explicit-any */
}
