import type { Pool } from 'pg';
import type { Pipeline } from '@cadre/pipelines';
import type { RunState } from '../run/state';
import { presentHistory, presentRun, presentSteps } from './present';

/**
 * The upserts of one run's read models as one statement: the run row, then its steps and
 * history rows only if the run row changed. Rows carry the stream version they reflect and an
 * upsert only replaces an older version, so the same state written twice (by the replica that
 * made the change and by the bus consumer of another) or out of order changes nothing. One
 * statement is one round trip and atomic by itself.
 */
function syncSql(schema: string): string {
  const s = `"${schema}"`;
  return `
    with run as (
      insert into ${s}.run_view (run_id, version, pipeline_id, status, created_at, updated_at, body)
      values ($1, $2, $3, $4, $5, $6, $7)
      on conflict (run_id) do update set version = excluded.version, status = excluded.status, updated_at = excluded.updated_at, body = excluded.body
      where ${s}.run_view.version < excluded.version
      returning run_id
    ), steps as (
      insert into ${s}.step_view (run_id, step_id, version, status, attempt, deadline, body)
      select $1, x.step_id, $2, x.status, x.attempt, x.deadline, x.body
      from jsonb_to_recordset($8::jsonb) as x(step_id text, status text, attempt integer, deadline timestamptz, body jsonb)
      where exists (select 1 from run)
      on conflict (run_id, step_id) do update set version = excluded.version, status = excluded.status, attempt = excluded.attempt,
        deadline = excluded.deadline, body = excluded.body
      where ${s}.step_view.version < excluded.version
      returning 1
    ), history as (
      insert into ${s}.run_history (run_id, step_id, attempt, version, agent_id, status, project_id, task_id, queued_at, body)
      select $1, x.step_id, x.attempt, $2, x.agent_id, x.status, x.project_id, x.task_id, x.queued_at, x.body
      from jsonb_to_recordset($9::jsonb) as x(step_id text, attempt integer, agent_id text, status text, project_id text, task_id text,
        queued_at timestamptz, body jsonb)
      where exists (select 1 from run)
      on conflict (run_id, step_id, attempt) do update set version = excluded.version, status = excluded.status, body = excluded.body
      where ${s}.run_history.version < excluded.version
      returning 1
    )
    select (select count(*) from run)::int as runs, (select count(*) from steps)::int as steps, (select count(*) from history)::int as history`;
}

/** Writes a run's state into the read models (runs, steps, run history). */
export async function syncRunViews(pool: Pool, schema: string, state: RunState, pipeline: Pipeline | undefined): Promise<void> {
  if (!state.exists) return;
  const run = presentRun(state, pipeline, false);
  const steps = presentSteps(state, pipeline).map((step) => {
    const attempt = state.attempts.findLast((a) => a.stepId === step.step_id);
    const deadline = attempt?.status === 'running' && attempt.startedAt !== undefined && attempt.timeoutSeconds !== undefined
      ? new Date(Date.parse(attempt.startedAt) + attempt.timeoutSeconds * 1000).toISOString() : null;
    return { step_id: step.step_id, status: step.status, attempt: step.attempt, deadline, body: step };
  });
  const history = presentHistory(state).map((entry) => ({
    step_id: entry.step_id, attempt: entry.attempt, agent_id: entry.agent_id, status: entry.status, project_id: entry.project_id,
    task_id: entry.task_id, queued_at: entry.queued_at, body: entry,
  }));
  await pool.query(syncSql(schema), [
    run.id, run.version, run.pipeline_id, run.status, run.created_at, run.updated_at, JSON.stringify(run), JSON.stringify(steps), JSON.stringify(history),
  ]);
}
