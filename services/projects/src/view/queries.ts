import { sql, type Kysely } from 'kysely';
import { ValidationError, type ProjectView, type TaskView, type projectList, type taskList } from '@cadre/proto';
import type { z } from 'zod';
import { presentTask } from './present';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Db = Kysely<any>;
type ProjectListRequest = z.infer<typeof projectList.request>;
type TaskListRequest = z.infer<typeof taskList.request>;

interface Cursor { readonly at: string; readonly id: string }

const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');

function decodeCursor(text: string): Cursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at))) return { at, id };
  } catch {
    // Reported below like any other bad cursor.
  }
  throw new ValidationError('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API returned' }]);
}

/** Projects newest first (one owner's when `owner` is given). */
export async function listProjects(db: Db, schema: string, request: ProjectListRequest, owner: string | undefined): Promise<{ projects: ProjectView[]; total: number }> {
  const table = sql.id(schema, 'projects');
  const where = sql.join([
    owner === undefined ? sql`true` : sql`owner = ${owner}`,
    request.archived === 'all' ? sql`true` : sql`archived = ${request.archived === 'true'}`,
  ], sql` and `);
  return db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const rows = (await sql<{ body: Omit<ProjectView, 'version'>; version: number }>`select body, version from ${table} where ${where}
      order by created_at desc, project_id desc limit ${request.limit} offset ${request.offset}`.execute(trx)).rows;
    const total = Number((await sql<{ n: string }>`select count(*) as n from ${table} where ${where}`.execute(trx)).rows[0]?.n ?? 0);
    return { projects: rows.map((r) => ({ ...r.body, version: r.version })), total };
  });
}

/**
 * The SQL of one page of a board: the tasks of a project in creation order, filtered, after the
 * cursor, each with its dependencies. The benchmark runs the same text straight on the pool.
 */
export function taskPageQuery(schema: string, request: TaskListRequest) {
  const tasks = sql.id(schema, 'tasks');
  const deps = sql.id(schema, 'task_dependencies');
  const filters = [sql`t.project_id = ${request.project_id}`];
  if (request.status !== undefined) filters.push(sql`t.status = ${request.status}`);
  if (request.assignee !== undefined) filters.push(sql`t.assignee = ${request.assignee}`);
  if (request.label !== undefined) filters.push(sql`t.labels @> array[${request.label}]::text[]`);
  const where = sql.join(filters, sql` and `);
  const page = [...filters];
  if (request.cursor !== undefined) {
    const cursor = decodeCursor(request.cursor);
    page.push(sql`(t.created_at, t.task_id) > (${cursor.at}::timestamptz, ${cursor.id})`);
  }
  return {
    page: sql<{ body: Omit<TaskView, 'dependencies'>; created_at: Date; task_id: string; dependencies: string[] }>`
      select t.body, t.created_at, t.task_id,
        coalesce((select array_agg(d.depends_on order by d.depends_on) from ${deps} d where d.task_id = t.task_id), '{}') as dependencies
      from ${tasks} t where ${sql.join(page, sql` and `)}
      order by t.created_at, t.task_id limit ${request.limit + 1}`,
    count: sql<{ n: string }>`select count(*) as n from ${tasks} t where ${where}`,
  };
}

/** One page of a board, with the total of the filter (from one snapshot). */
export async function listTasks(db: Db, schema: string, request: TaskListRequest, now: Date): Promise<{ tasks: TaskView[]; total: number; next_cursor: string | null }> {
  const query = taskPageQuery(schema, request);
  const { rows, total } = await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => ({
    rows: (await query.page.execute(trx)).rows,
    total: Number((await query.count.execute(trx)).rows[0]?.n ?? 0),
  }));
  const shown = rows.slice(0, request.limit);
  const last = shown.at(-1);
  return {
    tasks: shown.map((r) => presentTask(r.body, r.dependencies, now)),
    total,
    next_cursor: rows.length > request.limit && last !== undefined ? encodeCursor({ at: last.created_at.toISOString(), id: last.task_id }) : null,
  };
}

/** Keys of tasks by id (for messages that name tasks). */
export async function taskKeys(db: Db, schema: string, projectId: string, ids: readonly string[]): Promise<Record<string, string>> {
  if (ids.length === 0) return {};
  const rows = (await sql<{ task_id: string; key: string }>`select task_id, body->>'key' as key from ${sql.id(schema, 'tasks')}
    where project_id = ${projectId} and task_id = any(${[...ids]}::text[])`.execute(db)).rows;
  return Object.fromEntries(rows.map((r) => [r.task_id, r.key]));
}
