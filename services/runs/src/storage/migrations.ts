import type { Pool } from 'pg';

/**
 * Tables of the runs service besides its event store: API pipelines, and the read models
 * (runs, steps, run history). Every read-model row carries the version of the run stream it
 * reflects, so applying the same run twice, or an older state after a newer one, changes nothing.
 */
export async function migrateRunsTables(pool: Pool, schema: string): Promise<void> {
  const s = `"${schema}"`;
  // One statement per call, with an advisory lock so two replicas starting together do not race.
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(`select pg_advisory_xact_lock(hashtext($1))`, [`${schema}.runs-tables`]);
    await client.query(`create schema if not exists ${s}`);
    await client.query(`create table if not exists ${s}.pipelines (
      id text primary key, definition jsonb not null, created_at timestamptz not null, updated_at timestamptz not null)`);
    await client.query(`create table if not exists ${s}.run_view (
      run_id text primary key, version integer not null, pipeline_id text not null, status text not null,
      created_at timestamptz not null, updated_at timestamptz not null, body jsonb not null)`);
    await client.query(`create index if not exists run_view_created on ${s}.run_view (created_at desc, run_id desc)`);
    await client.query(`create table if not exists ${s}.step_view (
      run_id text not null, step_id text not null, version integer not null, status text not null, attempt integer not null,
      deadline timestamptz, body jsonb not null, primary key (run_id, step_id))`);
    await client.query(`create index if not exists step_view_deadline on ${s}.step_view (deadline) where status = 'running'`);
    await client.query(`create table if not exists ${s}.run_history (
      run_id text not null, step_id text not null, attempt integer not null, version integer not null,
      agent_id text, status text not null, project_id text, task_id text, queued_at timestamptz not null,
      body jsonb not null, primary key (run_id, step_id, attempt))`);
    await client.query(`create index if not exists run_history_queued on ${s}.run_history (queued_at desc)`);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
