import { createHash } from 'node:crypto';
import type { Alongside } from '@cadre/eventstore';
import type { Pipeline } from '@cadre/pipelines';
import { runOwner } from '../run/owner';
import type { RunState } from '../run/state';
import { presentHistory, presentRun, presentSteps } from './present';

/** Runs one statement (inside the caller's transaction, if any); answers the rows it returned. */
export type Execute = (text: string, values: readonly unknown[]) => Promise<ReadonlyArray<Record<string, unknown>>>;

/**
 * Writes a run's state into the read models, inside the caller's transaction or alone (it is one
 * statement, so it is atomic either way). Rows carry the stream version they reflect and an
 * upsert only replaces an older version, so the same state written twice (by the replica that
 * made the change and by the projection on another) or out of order changes nothing. The run's
 * row decides: when it was at that version already, no step or history row is written either,
 * and the answer is false.
 *
 * One round trip for the run, its steps and its history (data-modifying CTEs, the rows as JSON
 * records). The projection writes this way, every row; a command writes the same CTEs in its
 * append (runViewsAlongside), only the rows its events changed.
 */
export async function writeRunViews(execute: Execute, schema: string, state: RunState, pipeline: Pipeline | undefined): Promise<boolean> {
  if (!state.exists) return false;
  const ctes = runViewCtes(`"${schema}"`, (index) => `$${index}`, '');
  const updated = await execute(`with ${ctes} select count(*)::int as written from view_run`, runViewValues(state, pipeline, undefined));
  return Number(updated[0]?.written ?? 0) > 0;
}

/**
 * The run's read models written in the append of the events that lead from `before` to `after`
 * (see Alongside): they commit together, so the read models are current when the command is,
 * with no round trip of their own. Only the step and history rows those events changed are
 * written when the run's row shows the rows are at `before` (every row else: see runViewCtes).
 */
export function runViewsAlongside(schema: string, after: RunState, pipeline: Pipeline | undefined, before: RunState | undefined): Alongside | undefined {
  if (!after.exists) return undefined;
  return { key: 'run_views', ctes: (param) => runViewCtes(`"${schema}"`, param, 'where exists (select 1 from appended)'), values: runViewValues(after, pipeline, before) };
}

/**
 * The version of how step and history rows are presented (presentSteps, presentHistory and the
 * columns below): raise it with any change to them, so that a run whose rows were written the
 * old way has them all written again by its next command, not only those its events change.
 */
const ROWS_FORMAT = 1;

const formats = new WeakMap<Pipeline, string>();

/**
 * The format a run's rows are written in: ROWS_FORMAT and the pipeline they were presented with
 * (a run without its own pipeline follows the registry's, which may be edited while it runs).
 */
function rowsFormat(pipeline: Pipeline | undefined): string {
  if (pipeline === undefined) return `${ROWS_FORMAT}`;
  let format = formats.get(pipeline);
  if (format === undefined) {
    format = `${ROWS_FORMAT}:${createHash('sha256').update(JSON.stringify(pipeline)).digest('base64url').slice(0, 22)}`;
    formats.set(pipeline, format);
  }
  return format;
}

/** A run's step and history rows, each as JSON, by key (`presented` keeps them for the state's next command). */
interface PresentedRows {
  readonly steps: ReadonlyMap<string, string>;
  readonly history: ReadonlyMap<string, string>;
}

/**
 * The rows of the states presented lately: the state a command leads to is the one the run's
 * next command starts from (its snapshot), so each state is presented once.
 */
const presentedRows = new WeakMap<RunState, PresentedRows>();

/** Bytes of the rows kept for a state (see presentedRows), for the memory its snapshot is counted at. */
export function presentedBytes(state: RunState): number {
  const rows = presentedRows.get(state);
  if (rows === undefined) return 0;
  let bytes = 0;
  for (const json of rows.steps.values()) bytes += json.length;
  for (const json of rows.history.values()) bytes += json.length;
  return bytes;
}

function presented(state: RunState, pipeline: Pipeline | undefined): PresentedRows {
  const known = presentedRows.get(state);
  if (known !== undefined) return known;
  const steps = new Map<string, string>();
  for (const step of presentSteps(state, pipeline)) {
    if (steps.has(step.step_id)) continue;
    const attempt = state.attempts.findLast((a) => a.stepId === step.step_id);
    const deadline = attempt?.status === 'running' && attempt.startedAt !== undefined && attempt.timeoutSeconds !== undefined
      ? new Date(Date.parse(attempt.startedAt) + attempt.timeoutSeconds * 1000) : null;
    steps.set(step.step_id, JSON.stringify({ step_id: step.step_id, status: step.status, attempt: step.attempt, deadline, body: step }));
  }
  const history = new Map<string, string>();
  for (const entry of presentHistory(state)) {
    const key = `${entry.step_id}\u0000${entry.attempt}`;
    if (history.has(key)) continue;
    history.set(key, JSON.stringify({
      run_id: entry.run_id, step_id: entry.step_id, attempt: entry.attempt, agent_id: entry.agent_id, status: entry.status,
      project_id: entry.project_id, task_id: entry.task_id, queued_at: entry.queued_at, body: entry,
    }));
  }
  const rows = { steps, history };
  presentedRows.set(state, rows);
  return rows;
}

/**
 * The rows as a JSON array of records, each with `changed`: whether it differs from the same
 * row of `earlier` (every row when there is none). The records are JSON objects, so the flag
 * goes in as the first member of each.
 */
function recordsOf(rows: ReadonlyMap<string, string>, earlier: ReadonlyMap<string, string> | undefined): string {
  const records: string[] = [];
  for (const [key, json] of rows) records.push(`{"changed":${earlier?.get(key) !== json},${json.slice(1)}`);
  return `[${records.join(',')}]`;
}

/**
 * The parameters of runViewCtes for a run's state: the run's row, then its steps and history as
 * JSON records, each marked changed or not since `before`, the version of `before` (null when
 * there is none: every row is written) and the rows' format.
 */
function runViewValues(state: RunState, pipeline: Pipeline | undefined, before: RunState | undefined): unknown[] {
  const run = presentRun(state, pipeline, false);
  const rows = presented(state, pipeline);
  const earlier = before?.exists === true ? presented(before, pipeline) : undefined;
  return [
    run.id, run.version, run.pipeline_id, run.status, run.created_at, run.updated_at, JSON.stringify(run), runOwner(state) ?? null,
    state.runId, state.version, recordsOf(rows.steps, earlier?.steps), recordsOf(rows.history, earlier?.history), earlier === undefined ? null : before!.version,
    rowsFormat(pipeline),
  ];
}

/**
 * The upserts of a run, its steps and its history (data-modifying CTEs `view_run`, `view_steps`,
 * `view_history`; the rows as JSON records), the run's only when `guard` holds. The run's row
 * decides: when it was at that version already, no step or history row is written either.
 *
 * A step or history row the events did not change is not written when the run's row, read in
 * the statement's snapshot, is at the version the command started from (parameter 13) and its
 * rows are in this writer's format (parameter 14, see rowsFormat): every row then reflects that
 * version already, as the writes of each version commit together. A run whose rows lag (written
 * by the projection later, or by a writer that died before writing them) or were presented
 * another way gets every row; so does the projection's write (no version 13). Unchanged rows keep
 * the version they were last written at; only the run's row and the upserts' guards read it.
 */
function runViewCtes(s: string, p: (index: number) => string, guard: string): string {
  return `view_prior as (
       select version, rows_format from ${s}.run_view where run_id = ${p(1)}::text
     ), view_run as (
       insert into ${s}.run_view (run_id, version, pipeline_id, status, created_at, updated_at, body, owner, rows_format)
       select ${p(1)}::text, ${p(2)}::int, ${p(3)}::text, ${p(4)}::text, ${p(5)}::timestamptz, ${p(6)}::timestamptz, ${p(7)}::jsonb, ${p(8)}::text, ${p(14)}::text
       ${guard}
       on conflict (run_id) do update set version = excluded.version, status = excluded.status, updated_at = excluded.updated_at, body = excluded.body,
         owner = excluded.owner, rows_format = excluded.rows_format
       where ${s}.run_view.version < excluded.version
       returning run_id
     ), view_all as (
       select ${p(13)}::int is null
         or not exists (select 1 from view_prior where version = ${p(13)}::int and rows_format = ${p(14)}::text) as every
     ), view_steps as (
       insert into ${s}.step_view (run_id, step_id, version, status, attempt, deadline, body)
       select ${p(9)}::text, x.step_id, ${p(10)}::int, x.status, x.attempt, x.deadline, x.body
       from jsonb_to_recordset(${p(11)}::jsonb) as x(changed boolean, step_id text, status text, attempt integer, deadline timestamptz, body jsonb)
       where exists (select 1 from view_run) and (x.changed or (select every from view_all))
       on conflict (run_id, step_id) do update set version = excluded.version, status = excluded.status, attempt = excluded.attempt,
         deadline = excluded.deadline, body = excluded.body
       where ${s}.step_view.version < excluded.version
     ), view_history as (
       insert into ${s}.run_history (run_id, step_id, attempt, version, agent_id, status, project_id, task_id, queued_at, body)
       select x.run_id, x.step_id, x.attempt, ${p(10)}::int, x.agent_id, x.status, x.project_id, x.task_id, x.queued_at, x.body
       from jsonb_to_recordset(${p(12)}::jsonb)
         as x(changed boolean, run_id text, step_id text, attempt integer, agent_id text, status text, project_id text, task_id text, queued_at timestamptz, body jsonb)
       where exists (select 1 from view_run) and (x.changed or (select every from view_all))
       on conflict (run_id, step_id, attempt) do update set version = excluded.version, status = excluded.status, body = excluded.body
       where ${s}.run_history.version < excluded.version
     )`;
}
