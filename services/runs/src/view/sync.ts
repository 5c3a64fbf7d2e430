import type { Pool } from 'pg';
import type { Pipeline } from '@cadre/pipelines';
import { runOwner } from '../run/owner';
import type { RunState } from '../run/state';
import { presentHistory, presentRun, presentSteps } from './present';

/** Runs one statement inside the caller's transaction; answers how many rows it changed. */
export type Execute = (text: string, values: readonly unknown[]) => Promise<number>;

/**
 * Writes a run's state into the read models, inside the caller's transaction. Rows carry the
 * stream version they reflect and an upsert only replaces an older version, so the same state
 * written twice (by the replica that made the change and by the projection on another) or out
 * of order changes nothing. False when the run's row was at that version already (nothing written).
 */
export async function writeRunViews(execute: Execute, schema: string, state: RunState, pipeline: Pipeline | undefined): Promise<boolean> {
  if (!state.exists) return false;
  const s = `"${schema}"`;
  const run = presentRun(state, pipeline, false);
  const updated = await execute(
    `insert into ${s}.run_view (run_id, version, pipeline_id, status, created_at, updated_at, body, owner)
     values ($1, $2, $3, $4, $5, $6, $7, $8)
     on conflict (run_id) do update set version = excluded.version, status = excluded.status, updated_at = excluded.updated_at, body = excluded.body,
       owner = excluded.owner
     where ${s}.run_view.version < excluded.version`,
    [run.id, run.version, run.pipeline_id, run.status, run.created_at, run.updated_at, JSON.stringify(run), runOwner(state) ?? null],
  );
  if (updated === 0) return false;
  for (const step of presentSteps(state, pipeline)) {
    const attempt = state.attempts.findLast((a) => a.stepId === step.step_id);
    const deadline = attempt?.status === 'running' && attempt.startedAt !== undefined && attempt.timeoutSeconds !== undefined
      ? new Date(Date.parse(attempt.startedAt) + attempt.timeoutSeconds * 1000) : null;
    await execute(
      `insert into ${s}.step_view (run_id, step_id, version, status, attempt, deadline, body) values ($1, $2, $3, $4, $5, $6, $7)
       on conflict (run_id, step_id) do update set version = excluded.version, status = excluded.status, attempt = excluded.attempt,
         deadline = excluded.deadline, body = excluded.body
       where ${s}.step_view.version < excluded.version`,
      [state.runId, step.step_id, state.version, step.status, step.attempt, deadline, JSON.stringify(step)],
    );
  }
  for (const entry of presentHistory(state)) {
    await execute(
      `insert into ${s}.run_history (run_id, step_id, attempt, version, agent_id, status, project_id, task_id, queued_at, body)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       on conflict (run_id, step_id, attempt) do update set version = excluded.version, status = excluded.status, body = excluded.body
       where ${s}.run_history.version < excluded.version`,
      [entry.run_id, entry.step_id, entry.attempt, state.version, entry.agent_id, entry.status, entry.project_id, entry.task_id, entry.queued_at, JSON.stringify(entry)],
    );
  }
  return true;
}

/**
 * Writes a run's state into the read models in a transaction of its own: the writer's path,
 * before it replies, so that a query that follows the command sees it.
 */
export async function syncRunViews(pool: Pool, schema: string, state: RunState, pipeline: Pipeline | undefined): Promise<void> {
  if (!state.exists) return;
  const client = await pool.connect();
  try {
    await client.query('begin');
    const written = await writeRunViews(async (text, values) => (await client.query(text, [...values])).rowCount ?? 0, schema, state, pipeline);
    await client.query(written ? 'commit' : 'rollback');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
