import { sql, type Kysely } from 'kysely';
import type { Migrations } from '@cadre/kit';

/**
 * Tables of the projects service besides its event store: the read models of projects, tasks and
 * dependency edges (each row carries the stream version it reflects, so an older state never
 * replaces a newer one), and the runs started from the board (what the run follower looks up).
 * Frozen: a shipped migration never changes; a change is a new one.
 */
export function projectsMigrations(schema: string): Migrations {
  const s = sql.id(schema);
  /* eslint-disable @typescript-eslint/no-explicit-any */
  return {
    '2026_12_06_0001_projects_tables': {
      async up(db: Kysely<any>) {
        await sql`create table ${s}.projects (
          project_id text primary key, owner text, archived boolean not null, version integer not null,
          created_at timestamptz not null, updated_at timestamptz not null, body jsonb not null)`.execute(db);
        await sql`create index projects_owner on ${s}.projects (owner, archived, created_at desc, project_id)`.execute(db);
        await sql`create table ${s}.tasks (
          task_id text primary key, project_id text not null, owner text, version integer not null, status text not null,
          assignee text, labels text[] not null, claim_expires_at timestamptz, created_at timestamptz not null, body jsonb not null)`.execute(db);
        await sql`create index tasks_claim_expiry on ${s}.tasks (claim_expires_at) where claim_expires_at is not null`.execute(db);
        await sql`create index tasks_board on ${s}.tasks (project_id, created_at, task_id)`.execute(db);
        await sql`create index tasks_status on ${s}.tasks (project_id, status, created_at, task_id)`.execute(db);
        await sql`create index tasks_assignee on ${s}.tasks (project_id, assignee) where assignee is not null`.execute(db);
        await sql`create index tasks_labels on ${s}.tasks using gin (labels)`.execute(db);
        await sql`create table ${s}.task_dependencies (
          project_id text not null, task_id text not null, depends_on text not null, primary key (task_id, depends_on))`.execute(db);
        await sql`create index task_dependencies_project on ${s}.task_dependencies (project_id)`.execute(db);
        await sql`create table ${s}.board_runs (
          run_id text primary key, project_id text not null, task_id text not null, started_from_board boolean not null,
          created_at timestamptz not null default now())`.execute(db);
      },
    },
  };
  /* eslint-enable @typescript-eslint/no-explicit-any */
}
