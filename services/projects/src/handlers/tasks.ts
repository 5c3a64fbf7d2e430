import type { RequestHandler } from '@cadre/bus';
import {
  CadreError, DomainError, NotFoundError, PROJECT_ARCHIVED, UnavailableError, ValidationError, pipelineGet, taskClaim, taskCreate, taskGet, taskList,
  taskRelease, taskResolveWorkflow, taskTransition, taskUpdate,
} from '@cadre/proto';
import { actorOf, call as send, endpoint, type Call } from '@cadre/runtime';
import { sql } from 'kysely';
import { executeProject, executeTask, metaFor, requireProject, requireTask } from '../commands';
import type { ProjectsContext } from '../context';
import { cycleError } from '../project/decider';
import type { ProjectState } from '../project/state';
import { movesFrom, policyOf, routeOf } from '../policy';
import type { TaskCommand } from '../task/decider';
import type { TaskState } from '../task/state';
import { presentTaskState } from '../view/present';
import { listTasks, taskKeys } from '../view/queries';
import { actingFor } from './caller';

/** A project that may be changed: the caller's, not archived. */
export async function requireLiveProject(ctx: ProjectsContext, projectId: string, call: Call): Promise<ProjectState> {
  const project = await requireProject(ctx, projectId, call);
  if (project.archived) throw new DomainError(PROJECT_ARCHIVED, 'the project is archived: bring it back (archived: false) to change it', { project_id: projectId });
  return project;
}

/** The key a task gets when none is given: `T-` and the end of its id. */
export const defaultKey = (taskId: string): string => `T-${taskId.replace(/-/g, '').slice(-6)}`;

/** Refuses dependencies on tasks that are not on this project's board. */
export async function requireTasksOnBoard(ctx: ProjectsContext, projectId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const found = new Set((await sql<{ task_id: string }>`select task_id from ${sql.id(ctx.schema, 'tasks')}
    where project_id = ${projectId} and task_id = any(${[...ids]}::text[])`.execute(ctx.db)).rows.map((r) => r.task_id));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new ValidationError('dependencies name tasks that are not on this board', missing.map((id) => ({ path: 'dependencies', message: `no task '${id}' in this project` })));
  }
}

/** Sets a task's dependencies on the project's graph; a cycle is refused naming the tasks' keys. */
export async function setDependencies(ctx: ProjectsContext, project: ProjectState, taskId: string, dependsOn: readonly string[], call: Call): Promise<ProjectState> {
  try {
    return (await executeProject(ctx, project.projectId, () => ({ kind: 'set_dependencies', taskId, dependsOn, keys: {} }), metaFor(call))).state;
  } catch (error) {
    if (!(error instanceof CadreError) || error.code !== 'dependency_cycle') throw error;
    const cycles = (error.details as { task_ids: string[][] }).task_ids;
    throw cycleError(cycles, await taskKeys(ctx.db, ctx.schema, project.projectId, cycles.flat()));
  }
}

/** The claimant a call stands for: the agent it names, else its actor. */
const claimant = (call: Call, agentId: string | undefined): string => (agentId !== undefined ? `agent:${agentId}` : actorOf(call) ?? 'anonymous');

/** A move by a person (not an agent named in the request, not the engine credential). */
const byHuman = (call: Call, agentId: string | undefined): boolean => agentId === undefined && call.principal?.kind !== 'service';

/** Commands and queries of a project's tasks. */
export function taskHandlers(ctx: ProjectsContext): ReadonlyArray<readonly [string, RequestHandler]> {
  const view = (project: ProjectState, task: TaskState) => presentTaskState(task, project.edges[task.taskId] ?? [], ctx.clock());
  const onTask = async (projectId: string, taskId: string, call: Call, command: () => TaskCommand) => {
    const project = await requireLiveProject(ctx, projectId, call);
    const { state } = await executeTask(ctx, project, taskId, command, metaFor(call));
    return view(project, state);
  };
  return [
    endpoint(taskCreate, async ({ project_id, key, dependencies, ...fields }, call) => {
      let project = await requireLiveProject(ctx, project_id, call);
      await requireTasksOnBoard(ctx, project_id, dependencies);
      const taskId = ctx.newId();
      const status = policyOf(project).initial_state;
      const { state } = await executeTask(ctx, project, taskId, () => ({ kind: 'create', taskId, projectId: project_id, key: key ?? defaultKey(taskId), fields, status }), metaFor(call));
      if (dependencies.length > 0) project = await setDependencies(ctx, project, taskId, dependencies, call);
      return view(project, state);
    }),
    endpoint(taskList, async (request, call) => {
      await requireProject(ctx, request.project_id, call);
      return listTasks(ctx.db, ctx.schema, request, ctx.clock());
    }),
    endpoint(taskGet, async ({ project_id, task_id }, call) => {
      const project = await requireProject(ctx, project_id, call);
      return view(project, await requireTask(ctx, project, task_id));
    }),
    endpoint(taskUpdate, async ({ project_id, task_id, dependencies, ...fields }, call) => {
      let project = await requireLiveProject(ctx, project_id, call);
      await requireTask(ctx, project, task_id);
      // The dependencies first: a cycle is refused before anything changes.
      if (dependencies !== undefined) {
        await requireTasksOnBoard(ctx, project_id, dependencies);
        project = await setDependencies(ctx, project, task_id, dependencies, call);
      }
      const { state } = await executeTask(ctx, project, task_id, () => ({ kind: 'update', fields }), metaFor(call));
      return view(project, state);
    }),
    endpoint(taskClaim, ({ project_id, task_id, agent_id, ttl_seconds }, call) =>
      onTask(project_id, task_id, call, () => ({ kind: 'claim', holder: claimant(call, agent_id), now: ctx.clock(), ttlSeconds: ttl_seconds }))),
    endpoint(taskRelease, ({ project_id, task_id, agent_id }, call) =>
      // Without an agent named, the project's owner (or an admin) releases whoever holds it.
      onTask(project_id, task_id, call, () => ({ kind: 'release', holder: agent_id !== undefined ? `agent:${agent_id}` : undefined, now: ctx.clock() }))),
    endpoint(taskTransition, async ({ project_id, task_id, to, reason, agent_id }, call) => {
      const project = await requireLiveProject(ctx, project_id, call);
      // The policy is read for each try: a policy change applies from the next move on.
      const { state } = await executeTask(ctx, project, task_id, async () => ({
        kind: 'transition', to, reason, human: byHuman(call, agent_id), policy: policyOf(await requireProject(ctx, project_id, call)),
      }), metaFor(call));
      return view(project, state);
    }),
    endpoint(taskResolveWorkflow, async ({ project_id, task_id }, call) => {
      const project = await requireProject(ctx, project_id, call);
      const task = await requireTask(ctx, project, task_id);
      const policy = policyOf(project);
      const route = routeOf(policy, project, task);
      return {
        task_id, status: task.status, pipeline_id: route.pipelineId, matched: route.matched, agents: [...route.agents],
        steps: route.pipelineId === null ? [] : await pipelineSteps(ctx, route.pipelineId, call),
        next_states: movesFrom(policy, task.status),
        on_start: policy.automatic.execution_started ?? null, on_complete: policy.automatic.run_complete ?? null, on_failure: policy.automatic.run_failed ?? null,
      };
    }),
  ];
}

/** The steps of a pipeline as the runs service defines it (none when it has no such pipeline). */
export async function pipelineSteps(ctx: ProjectsContext, pipelineId: string, call: Call): Promise<Array<{ id: string; agent: string | null }>> {
  try {
    const pipeline = await send(ctx.bus, pipelineGet, { pipeline_id: pipelineId }, { headers: actingFor(call), timeoutMs: ctx.config.PROJECTS_RUNS_TIMEOUT_MS });
    const steps = Array.isArray(pipeline.steps) ? (pipeline.steps as Array<{ id?: unknown; agent?: unknown }>) : [];
    return steps.map((s) => ({ id: String(s.id), agent: typeof s.agent === 'string' ? s.agent : null }));
  } catch (error) {
    if (error instanceof NotFoundError) return [];
    if (error instanceof UnavailableError) throw new UnavailableError('the runs service does not answer: pipelines cannot be read', { service: 'runs' });
    throw error;
  }
}

