import { sql, type Kysely } from 'kysely';
import type { ProjectState } from '../project/state';
import type { TaskState } from '../task/state';
import { presentProject, taskBody } from './present';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Executor = Kysely<any>;

/**
 * Writes a project's row and, when that row moved forward, its dependency edges — from its state
 * at `state.version`: a state older than the row's changes nothing. Run in a transaction.
 */
export async function writeProject(trx: Executor, schema: string, state: ProjectState): Promise<void> {
  if (!state.exists) return;
  const { version, ...body } = presentProject(state);
  void version;
  const written = await sql<{ project_id: string }>`insert into ${sql.id(schema, 'projects')} (project_id, owner, archived, version, created_at, updated_at, body)
    values (${state.projectId}, ${state.owner ?? null}, ${state.archived}, ${state.version}, ${state.createdAt}, ${state.updatedAt}, ${JSON.stringify(body)})
    on conflict (project_id) do update set owner = excluded.owner, archived = excluded.archived, version = excluded.version,
      updated_at = excluded.updated_at, body = excluded.body
    where ${sql.id(schema, 'projects')}.version < excluded.version
    returning project_id`.execute(trx);
  if (written.rows.length === 0) return;
  const edges = Object.entries(state.edges).flatMap(([task, dependsOn]) => dependsOn.map((d) => [task, d] as const));
  await sql`delete from ${sql.id(schema, 'task_dependencies')} where project_id = ${state.projectId}`.execute(trx);
  if (edges.length === 0) return;
  await sql`insert into ${sql.id(schema, 'task_dependencies')} (project_id, task_id, depends_on)
    select ${state.projectId}, t, d from unnest(${edges.map((e) => e[0])}::text[], ${edges.map((e) => e[1])}::text[]) as x(t, d)`.execute(trx);
}

/** Writes a task's row from its state at `state.version` (an older state changes nothing). */
export async function writeTask(db: Executor, schema: string, state: TaskState): Promise<void> {
  if (!state.exists) return;
  await sql`insert into ${sql.id(schema, 'tasks')} (task_id, project_id, owner, version, status, assignee, labels, created_at, body)
    values (${state.taskId}, ${state.projectId}, ${state.owner ?? null}, ${state.version}, ${state.status}, ${state.assignee}, ${[...state.labels]}::text[],
      ${state.createdAt}, ${JSON.stringify(taskBody(state))})
    on conflict (task_id) do update set owner = excluded.owner, version = excluded.version, status = excluded.status, assignee = excluded.assignee,
      labels = excluded.labels, body = excluded.body
    where ${sql.id(schema, 'tasks')}.version < excluded.version`.execute(db);
}

/** Writes many tasks' rows in one statement (an import). */
export async function writeTasks(db: Executor, schema: string, states: readonly TaskState[]): Promise<void> {
  const rows = states.filter((s) => s.exists);
  if (rows.length === 0) return;
  await sql`insert into ${sql.id(schema, 'tasks')} (task_id, project_id, owner, version, status, assignee, labels, created_at, body)
    select x.task_id, x.project_id, x.owner, x.version, x.status, x.assignee, array(select jsonb_array_elements_text(x.labels)), x.created_at, x.body
    from jsonb_to_recordset(${JSON.stringify(rows.map((s) => ({
      task_id: s.taskId, project_id: s.projectId, owner: s.owner ?? null, version: s.version, status: s.status, assignee: s.assignee,
      labels: s.labels, created_at: s.createdAt, body: taskBody(s),
    })))}::jsonb) as x(task_id text, project_id text, owner text, version int, status text, assignee text, labels jsonb, created_at timestamptz, body jsonb)
    on conflict (task_id) do update set owner = excluded.owner, version = excluded.version, status = excluded.status, assignee = excluded.assignee,
      labels = excluded.labels, body = excluded.body
    where ${sql.id(schema, 'tasks')}.version < excluded.version`.execute(db);
}
