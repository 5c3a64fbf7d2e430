import type { RequestHandler } from '@cadre/bus';
import {
  ConflictError, DomainError, SWARMS_NOT_DEPLOYED, UnavailableError, projectSwarmExecute, runCancel, runCreate, swarmExecute, taskExecute,
} from '@cadre/proto';
import { call as send, endpoint } from '@cadre/runtime';
import { sql } from 'kysely';
import { executeTask, loadProject, metaFor, requireTask } from '../commands';
import type { ProjectsContext } from '../context';
import { policyOf, routeOf } from '../policy';
import { taskDecider } from '../task/decider';
import { presentTaskState } from '../view/present';
import { actingFor } from './caller';
import { requireLiveProject } from './tasks';

/**
 * Remembers which task a run names (what the run follower looks up): from its `run_created`, or —
 * `fromBoard` — from the start on the board, which says the task is about to record the run.
 */
export async function recordBoardRun(ctx: ProjectsContext, runId: string, projectId: string, taskId: string, fromBoard: boolean): Promise<void> {
  const table = sql.id(ctx.schema, 'board_runs');
  await sql`insert into ${table} (run_id, project_id, task_id, started_from_board) values (${runId}, ${projectId}, ${taskId}, ${fromBoard})
    on conflict (run_id) do update set started_from_board = ${table}.started_from_board or excluded.started_from_board`.execute(ctx.db);
}

/** Starting tasks from the board: one task as a run of its resolved pipeline, or a set of them as a swarm. */
export function executionHandlers(ctx: ProjectsContext): ReadonlyArray<readonly [string, RequestHandler]> {
  const timeoutMs = ctx.config.PROJECTS_RUNS_TIMEOUT_MS;
  return [
    endpoint(taskExecute, async ({ project_id, task_id, pipeline_id, human_context }, call) => {
      const project = await requireLiveProject(ctx, project_id, call);
      const task = await requireTask(ctx, project, task_id);
      const policy = policyOf(project);
      const pipelineId = pipeline_id ?? routeOf(policy, project, task).pipelineId;
      if (pipelineId === null) {
        throw new ConflictError('the task has no pipeline: no route of the workflow policy matches it and the project names no default pipeline', { project_id, task_id });
      }
      // Refused before any run exists when the task cannot start (a run in flight, a move the workflow forbids).
      taskDecider.decide({ kind: 'start_execution', runId: '', pipelineId, policy }, task);
      const run = await send(ctx.bus, runCreate, {
        pipeline_id: pipelineId,
        task_description: task.description.length > 0 ? `${task.title}\n\n${task.description}` : task.title,
        ...(human_context !== undefined ? { human_context } : {}),
        project_name: project.name, project_id, task_id,
      }, { headers: actingFor(call), timeoutMs });
      await recordBoardRun(ctx, run.id, project_id, task_id, true);
      try {
        const { state } = await executeTask(ctx, project, task_id, async () => ({
          kind: 'start_execution', runId: run.id, pipelineId, policy: policyOf(await loadProject(ctx, project_id)),
        }), metaFor(call));
        return { task: presentTaskState(state, project.edges[task_id] ?? [], ctx.clock()), run_id: run.id, pipeline_id: pipelineId };
      } catch (error) {
        // Another start won the race: the run made for this one is cancelled, not left running.
        await send(ctx.bus, runCancel, { run_id: run.id, reason: 'the task could not start' }, { headers: actingFor(call), timeoutMs })
          .catch((err: unknown) => ctx.logger.warn({ err, runId: run.id }, 'run of a task that did not start was not cancelled'));
        throw error;
      }
    }),
    endpoint(projectSwarmExecute, async ({ project_id, task_ids, agent_id, max_concurrent }, call) => {
      const project = await requireLiveProject(ctx, project_id, call);
      const ids = [...new Set(task_ids)];
      const tasks = await Promise.all(ids.map((id) => requireTask(ctx, project, id)));
      // Keys name the tasks in the swarm: a key two chosen tasks share gets the end of each id.
      const seen = new Map<string, number>();
      for (const t of tasks) seen.set(t.key, (seen.get(t.key) ?? 0) + 1);
      const keyOf = new Map(tasks.map((t) => [t.taskId, (seen.get(t.key) ?? 0) > 1 ? `${t.key}-${t.taskId.slice(-8)}` : t.key]));
      const request = {
        agent_id, max_concurrent,
        tasks: tasks.map((t) => ({
          key: keyOf.get(t.taskId) as string,
          title: t.title,
          execution_prompt: t.description.length > 0 ? `${t.title}\n\n${t.description}` : t.title,
          // Only edges between the chosen tasks: the swarm orders what it runs.
          dependencies: (project.edges[t.taskId] ?? []).filter((d) => keyOf.has(d)).map((d) => keyOf.get(d) as string),
          project_id, task_id: t.taskId,
        })),
      };
      try {
        return await send(ctx.bus, swarmExecute, request, { headers: actingFor(call), timeoutMs });
      } catch (error) {
        if (error instanceof UnavailableError && /no responders/i.test(error.message)) {
          throw new DomainError(SWARMS_NOT_DEPLOYED, 'the swarms service is not deployed: nothing answers its execute command', { service: 'swarms' });
        }
        throw error;
      }
    }),
  ];
}
