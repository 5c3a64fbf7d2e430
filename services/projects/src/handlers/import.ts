import { createHash } from 'node:crypto';
import type { RequestHandler } from '@cadre/bus';
import { CadreError, IDEMPOTENCY_KEY_HEADER, ValidationError, parseOrThrow, taskImport } from '@cadre/proto';
import { actorOf, callOf, type Call } from '@cadre/runtime';
import { v5 as uuidv5 } from 'uuid';
import type { z } from 'zod';
import { executeProject, executeTask, metaFor } from '../commands';
import type { ProjectsContext } from '../context';
import { cycleError } from '../project/decider';
import { policyOf } from '../policy';
import { presentTaskState } from '../view/present';
import { taskKeys } from '../view/queries';
import { requireLiveProject } from './tasks';

/** Namespace of the ids an import derives from its Idempotency-Key (UUID v5). */
const IMPORT_NAMESPACE = '6f1f6c1e-5d0a-4c57-9a51-2b7f0e0c9a11';
/** Tasks of one import created at a time. */
const CREATE_CONCURRENCY = 16;

type ImportRequest = z.infer<typeof taskImport.request>;

async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await run(items[next++] as T);
  }));
}

/** Keys are unique within the import and dependencies name keys of the import. */
function checkKeys(request: ImportRequest): void {
  const problems: Array<{ path: string; message: string }> = [];
  const index = new Map<string, number>();
  request.tasks.forEach((task, i) => {
    if (index.has(task.key)) problems.push({ path: `tasks.${i}.key`, message: `key '${task.key}' is also task ${index.get(task.key)}'s` });
    else index.set(task.key, i);
  });
  request.tasks.forEach((task, i) => task.dependencies.forEach((d, j) => {
    if (!index.has(d)) problems.push({ path: `tasks.${i}.dependencies.${j}`, message: `no task with key '${d}' in this import` });
  }));
  if (problems.length > 0) throw new ValidationError('the planning output does not hold together', problems);
}

/**
 * Imports a planning output as tasks with their dependencies. With an Idempotency-Key the
 * import's id and its tasks' ids derive from the key (and the caller and project), and the
 * project records the import: a retry — even after a crash half-way — creates the tasks and
 * edges that are missing and nothing twice, and answers as the first request did.
 */
export async function importTasks(ctx: ProjectsContext, request: ImportRequest, call: Call, idempotencyKey: string | undefined) {
  const project = await requireLiveProject(ctx, request.project_id, call);
  checkKeys(request);
  const { project_id, ...body } = request;
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const importId = idempotencyKey === undefined ? ctx.newId() : uuidv5(`${actorOf(call) ?? ''}\n${project_id}\n${idempotencyKey}`, IMPORT_NAMESPACE);
  const idOf = new Map(request.tasks.map((t) => [t.key, idempotencyKey === undefined ? ctx.newId() : uuidv5(`${importId}\n${t.key}`, IMPORT_NAMESPACE)]));
  const keys = Object.fromEntries(request.tasks.map((t) => [idOf.get(t.key) as string, t.key]));
  const meta = metaFor(call);
  let outcome;
  try {
    outcome = await executeProject(ctx, project_id, () => ({
      kind: 'import', importId, hash, runId: request.run_id, keys,
      tasks: request.tasks.map((t) => ({ taskId: idOf.get(t.key) as string, dependsOn: t.dependencies.map((d) => idOf.get(d) as string) })),
    }), meta);
  } catch (error) {
    if (!(error instanceof CadreError) || error.code !== 'dependency_cycle') throw error;
    const cycles = (error.details as { task_ids: string[][] }).task_ids;
    throw cycleError(cycles, { ...(await taskKeys(ctx.db, ctx.schema, project_id, cycles.flat())), ...keys });
  }
  const status = policyOf(outcome.state).initial_state;
  const states = new Map<string, Awaited<ReturnType<typeof executeTask>>['state']>();
  await inParallel(request.tasks, CREATE_CONCURRENCY, async ({ key, dependencies: _dependencies, ...fields }) => {
    const taskId = idOf.get(key) as string;
    const created = await executeTask(ctx, project, taskId, () => ({ kind: 'create', taskId, projectId: project_id, key, fields, status, ifAbsent: true }), meta);
    states.set(taskId, created.state);
  });
  const now = ctx.clock();
  return {
    import_id: importId,
    replayed: outcome.result.replayed === true,
    tasks: request.tasks.map((t) => {
      const taskId = idOf.get(t.key) as string;
      return presentTaskState(states.get(taskId) as NonNullable<ReturnType<typeof states.get>>, outcome.state.edges[taskId] ?? [], now);
    }),
  };
}

/** `projects.cmd.task_import`: like an endpoint, and it reads the Idempotency-Key the gateway hands on. */
export function importHandler(ctx: ProjectsContext): readonly [string, RequestHandler] {
  return [taskImport.subject, async (payload, context) => {
    const request = parseOrThrow(taskImport.request, payload ?? {});
    return taskImport.reply.parse(await importTasks(ctx, request, callOf(context.headers), context.headers[IDEMPOTENCY_KEY_HEADER]));
  }];
}
