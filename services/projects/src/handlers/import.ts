import { createHash } from 'node:crypto';
import type { RequestHandler } from '@cadre/bus';
import {
  CadreError, ConflictError, IDEMPOTENCY_KEY_HEADER, ImportedTask, ValidationError, issuesToDetails, parseOrThrow, runGet, taskImport,
} from '@cadre/proto';
import { actorOf, call as send, callOf, type Call } from '@cadre/runtime';
import { z } from 'zod';
import { v5 as uuidv5 } from 'uuid';
import { executeProject, executeTask, metaFor } from '../commands';
import type { ProjectsContext } from '../context';
import { cycleError } from '../project/decider';
import { policyOf } from '../policy';
import { presentTaskState } from '../view/present';
import { taskKeys } from '../view/queries';
import { actingFor } from './caller';
import { requireLiveProject } from './tasks';

/** Namespace of the ids an import derives from its Idempotency-Key (UUID v5). */
const IMPORT_NAMESPACE = '6f1f6c1e-5d0a-4c57-9a51-2b7f0e0c9a11';
/** Tasks of one import created at a time. */
const CREATE_CONCURRENCY = 16;

type ImportRequest = z.infer<typeof taskImport.request>;
type Planned = z.infer<typeof ImportedTask>;

/** The list a step of a run handed back as `tasks` (or `items`): objects with a title, at least. */
function plannedTasks(outputs: Readonly<Record<string, Readonly<Record<string, unknown>>>>): unknown[] | undefined {
  for (const name of ['tasks', 'items']) {
    for (const step of Object.values(outputs)) {
      const list = step[name];
      if (Array.isArray(list) && list.length > 0 && list.every((item) => typeof item === 'object' && item !== null && typeof (item as { title?: unknown }).title === 'string')) return list;
    }
  }
  return undefined;
}

/** The tasks of a completed planning run, read from its outputs (as the caller: their run, or any for an admin). */
async function tasksOfRun(ctx: ProjectsContext, runId: string, call: Call): Promise<Planned[]> {
  const run = await send(ctx.bus, runGet, { run_id: runId }, { headers: actingFor(call), timeoutMs: ctx.config.PROJECTS_RUNS_TIMEOUT_MS });
  if (run.status !== 'completed') throw new ConflictError(`run ${runId} is ${run.status}: only a completed run's outputs are imported`, { run_id: runId, status: run.status });
  const list = plannedTasks(run.outputs);
  if (list === undefined) {
    throw new CadreError('unprocessable', `run ${runId} handed back no task list (a step output 'tasks' or 'items' of objects with a title)`, { run_id: runId });
  }
  const parsed = z.array(ImportedTask).max(1_000).safeParse(list.map((item, i) => {
    const { key, ...rest } = item as Record<string, unknown>;
    return { key: typeof key === 'string' ? key : `item-${i + 1}`, ...rest };
  }));
  if (!parsed.success) throw new CadreError('unprocessable', `the task list of run ${runId} does not hold together`, { run_id: runId, issues: issuesToDetails(parsed.error.issues) });
  return parsed.data;
}

async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await run(items[next++] as T);
  }));
}

/** Keys are unique within the import and dependencies name keys of the import. */
function checkKeys(request: ImportRequest & { tasks: Planned[] }): void {
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
export async function importTasks(ctx: ProjectsContext, given: ImportRequest, call: Call, idempotencyKey: string | undefined) {
  const project = await requireLiveProject(ctx, given.project_id, call);
  if (given.tasks === undefined && given.run_id === undefined) {
    throw new ValidationError('nothing to import', [{ path: 'tasks', message: 'give the tasks, or the run_id of a completed planning run' }]);
  }
  const request = { ...given, tasks: given.tasks ?? await tasksOfRun(ctx, given.run_id as string, call) };
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
