import type { Pool } from 'pg';
import type { Pipeline } from '@cadre/pipelines';
import { runOwner } from '../run/owner';
import type { RunState } from '../run/state';
import { presentHistory, presentRun, presentSteps } from './present';

/** Runs one statement (inside the caller's transaction, if any); answers the rows it returned. */
export type Execute = (text: string, values: readonly unknown[]) => Promise<ReadonlyArray<Record<string, unknown>>>;

/** The first of each key, in order (a later duplicate would meet the row at the same version and change nothing). */
function firstByKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Writes a run's state into the read models, inside the caller's transaction or alone (it is one
 * statement, so it is atomic either way). Rows carry the stream version they reflect and an
 * upsert only replaces an older version, so the same state written twice (by the replica that
 * made the change and by the projection on another) or out of order changes nothing. The run's
 * row decides: when it was at that version already, no step or history row is written either,
 * and the answer is false.
 *
 * One round trip for the run, its steps and its history (data-modifying CTEs, the rows as JSON
 * records): it is on the step hand-off, before the runs service replies to the executor.
 */
export async function writeRunViews(execute: Execute, schema: string, state: RunState, pipeline: Pipeline | undefined): Promise<boolean> {
  if (!state.exists) return false;
  const s = `"${schema}"`;
  const run = presentRun(state, pipeline, false);
  const steps = firstByKey(presentSteps(state, pipeline), (step) => step.step_id).map((step) => {
    const attempt = state.attempts.findLast((a) => a.stepId === step.step_id);
    const deadline = attempt?.status === 'running' && attempt.startedAt !== undefined && attempt.timeoutSeconds !== undefined
      ? new Date(Date.parse(attempt.startedAt) + attempt.timeoutSeconds * 1000) : null;
    return { step_id: step.step_id, status: step.status, attempt: step.attempt, deadline, body: step };
  });
  const history = firstByKey(presentHistory(state), (entry) => `${entry.step_id}\u0000${entry.attempt}`).map((entry) => ({
    run_id: entry.run_id, step_id: entry.step_id, attempt: entry.attempt, agent_id: entry.agent_id, status: entry.status,
    project_id: entry.project_id, task_id: entry.task_id, queued_at: entry.queued_at, body: entry,
  }));
  const updated = await execute(
    `with run as (
       insert into ${s}.run_view (run_id, version, pipeline_id, status, created_at, updated_at, body, owner)
       values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (run_id) do update set version = excluded.version, status = excluded.status, updated_at = excluded.updated_at, body = excluded.body,
         owner = excluded.owner
       where ${s}.run_view.version < excluded.version
       returning run_id
     ), steps as (
       insert into ${s}.step_view (run_id, step_id, version, status, attempt, deadline, body)
       select $9, x.step_id, $10, x.status, x.attempt, x.deadline, x.body
       from jsonb_to_recordset($11::jsonb) as x(step_id text, status text, attempt integer, deadline timestamptz, body jsonb)
       where exists (select 1 from run)
       on conflict (run_id, step_id) do update set version = excluded.version, status = excluded.status, attempt = excluded.attempt,
         deadline = excluded.deadline, body = excluded.body
       where ${s}.step_view.version < excluded.version
     ), history as (
       insert into ${s}.run_history (run_id, step_id, attempt, version, agent_id, status, project_id, task_id, queued_at, body)
       select x.run_id, x.step_id, x.attempt, $10, x.agent_id, x.status, x.project_id, x.task_id, x.queued_at, x.body
       from jsonb_to_recordset($12::jsonb)
         as x(run_id text, step_id text, attempt integer, agent_id text, status text, project_id text, task_id text, queued_at timestamptz, body jsonb)
       where exists (select 1 from run)
       on conflict (run_id, step_id, attempt) do update set version = excluded.version, status = excluded.status, body = excluded.body
       where ${s}.run_history.version < excluded.version
     )
     select count(*)::int as written from run`,
    [
      run.id, run.version, run.pipeline_id, run.status, run.created_at, run.updated_at, JSON.stringify(run), runOwner(state) ?? null,
      state.runId, state.version, JSON.stringify(steps), JSON.stringify(history),
    ],
  );
  return Number(updated[0]?.written ?? 0) > 0;
}

/**
 * Writes a run's state into the read models (one statement, so one round trip and no explicit
 * transaction): the writer's path, before it replies, so that a query that follows the command sees it.
 */
export async function syncRunViews(pool: Pool, schema: string, state: RunState, pipeline: Pipeline | undefined): Promise<void> {
  if (!state.exists) return;
  await writeRunViews(async (text, values) => (await pool.query<Record<string, unknown>>(text, [...values])).rows, schema, state, pipeline);
}
