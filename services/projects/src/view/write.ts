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
  await sql`insert into ${sql.id(schema, 'tasks')} (task_id, project_id, owner, version, status, assignee, labels, claim_expires_at, created_at, body)
    values (${state.taskId}, ${state.projectId}, ${state.owner ?? null}, ${state.version}, ${state.status}, ${state.assignee}, ${[...state.labels]}::text[],
      ${state.claim?.expiresAt ?? null}, ${state.createdAt}, ${JSON.stringify(taskBody(state))})
    on conflict (task_id) do update set owner = excluded.owner, version = excluded.version, status = excluded.status, assignee = excluded.assignee,
      labels = excluded.labels, claim_expires_at = excluded.claim_expires_at, body = excluded.body
    where ${sql.id(schema, 'tasks')}.version < excluded.version`.execute(db);
}
