import { sql, type Kysely } from 'kysely';
import type { Migrations } from '@cadre/kit';

/**
 * Tables of the runs service besides its event store: API pipelines, and the read models
 * (runs, steps, run history). Every read-model row carries the version of the run stream it
 * reflects, so applying the same run twice, or an older state after a newer one, changes nothing.
 * Frozen: a shipped migration never changes; a change is a new one. The first one is the schema
 * of the releases before migrations were tracked, so it also runs on their data (`if not exists`).
 */
export function runsMigrations(schema: string): Migrations {
  const s = sql.id(schema);
  /* eslint-disable @typescript-eslint/no-explicit-any */
  return {
    '2025_11_23_0001_runs_tables': {
      async up(db: Kysely<any>) {
        await sql`create table if not exists ${s}.pipelines (
          id text primary key, definition jsonb not null, created_at timestamptz not null, updated_at timestamptz not null)`.execute(db);
        await sql`create table if not exists ${s}.run_view (
          run_id text primary key, version integer not null, pipeline_id text not null, status text not null,
          created_at timestamptz not null, updated_at timestamptz not null, body jsonb not null)`.execute(db);
        await sql`create index if not exists run_view_created on ${s}.run_view (created_at desc, run_id desc)`.execute(db);
        await sql`create table if not exists ${s}.step_view (
          run_id text not null, step_id text not null, version integer not null, status text not null, attempt integer not null,
          deadline timestamptz, body jsonb not null, primary key (run_id, step_id))`.execute(db);
        await sql`create index if not exists step_view_deadline on ${s}.step_view (deadline) where status = 'running'`.execute(db);
        await sql`create table if not exists ${s}.run_history (
          run_id text not null, step_id text not null, attempt integer not null, version integer not null,
          agent_id text, status text not null, project_id text, task_id text, queued_at timestamptz not null,
          body jsonb not null, primary key (run_id, step_id, attempt))`.execute(db);
        await sql`create index if not exists run_history_queued on ${s}.run_history (queued_at desc)`.execute(db);
      },
    },
    // Who owns each run (its creator's user id): a member's run list is theirs only. Runs written
    // before take it from their run_created event.
    '2026_12_05_0001_run_view_owner': {
      async up(db: Kysely<any>) {
        await sql`alter table ${s}.run_view add column if not exists owner text`.execute(db);
        await sql`create index if not exists run_view_owner on ${s}.run_view (owner, created_at desc, run_id desc)`.execute(db);
        await sql`update ${s}.run_view v set owner = substring(e.data->>'created_by' from 6)
          from ${s}.events e
          where v.owner is null and e.stream_id = 'run-' || v.run_id and e.version = 1 and e.type = 'run_created'
            and e.data->>'created_by' like 'user:%'`.execute(db);
      },
    },
    // How a run's step and history rows were presented (view/sync.ts rowsFormat): a command writes
    // only the rows its events changed when the rows are in its own format. Rows written before
    // have none, so a run's next command writes them all.
    '2026_12_07_0001_run_view_rows_format': {
      async up(db: Kysely<any>) {
        await sql`alter table ${s}.run_view add column if not exists rows_format text`.execute(db);
      },
    },
  };
  /* eslint-enable @typescript-eslint/no-explicit-any */
}
