import type { RequestHandler } from '@cadre/bus';
import { ConflictError, NotFoundError, runSpawn, runCancel, runCreate, runGet, runHistory, runList, runRestart, stepGet, stepList, stepOutput, stepTimeout } from '@cadre/proto';
import { executeRun, pipelineOf, requireRun } from '../command';
import { SPAWN_PIPELINE_ID } from '../pipelines/spawn';
import type { RunsContext } from '../context';
import { presentRun, presentSteps } from '../view/present';
import { listRuns, queryHistory } from '../view/queries';
import { actorOf, endpoint, metaOf, ownerFilter, requireAdmin, type Call } from './endpoint';

/** Commands and queries of runs and steps. */
export function runHandlers(ctx: RunsContext): ReadonlyArray<readonly [string, RequestHandler]> {
  const stepOf = async (runId: string, stepId: string, call: Call) => {
    const state = await requireRun(ctx, runId, call);
    const step = presentSteps(state, await pipelineOf(ctx, state)).find((s) => s.step_id === stepId);
    if (step === undefined) throw new NotFoundError(`run '${runId}' has no step '${stepId}'`, { run_id: runId, step_id: stepId });
    return step;
  };
  return [
    endpoint(runCreate, async (request, call) => {
      const runId = ctx.newId();
      const actor = actorOf(call);
      const { state, pipeline } = await executeRun(ctx, runId, {
        kind: 'create', runId, pipelineId: request.pipeline_id, taskDescription: request.task_description,
        humanContext: request.human_context, projectName: request.project_name, projectId: request.project_id,
        taskId: request.task_id, createdBy: actor, speak: request.speak,
      }, metaOf(call));
      return presentRun(state, pipeline, true);
    }),
    // A spawn sent again (the caller retried after a crash) finds its run: the same reply, nothing created.
    endpoint(runSpawn, async (request, call) => {
      const create = {
        kind: 'create' as const, runId: request.run_id, pipelineId: SPAWN_PIPELINE_ID, taskDescription: request.prompt,
        projectId: request.project_id, taskId: request.task_id, createdBy: actorOf(call), swarmId: request.swarm_id,
        spawn: {
          agent_id: request.agent_id, model: request.model, timeout_seconds: request.timeout_seconds,
          ...(request.system_prompt !== undefined ? { system_prompt: request.system_prompt } : {}),
          ...(request.outputs !== undefined ? { outputs: request.outputs } : {}),
          ...(request.structured_output !== undefined ? { structured_output: request.structured_output } : {}),
        },
      };
      try {
        const { state, pipeline } = await executeRun(ctx, request.run_id, create, metaOf(call));
        return presentRun(state, pipeline, true);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const state = await requireRun(ctx, request.run_id, call);
        if (state.spawn === undefined) throw error;
        return presentRun(state, await pipelineOf(ctx, state), true);
      }
    }),
    endpoint(runList, (request, call) => {
      // A member lists their own runs; an admin everyone's.
      const scope = ownerFilter(call);
      return listRuns(ctx.pool, ctx.schema, request, scope.all ? undefined : scope.owner, ctx.listPageBytes);
    }),
    endpoint(runGet, async ({ run_id }, call) => {
      const state = await requireRun(ctx, run_id, call);
      return presentRun(state, await pipelineOf(ctx, state), true);
    }),
    endpoint(runCancel, async ({ run_id, reason }, call) => {
      const { state, pipeline } = await executeRun(ctx, run_id, { kind: 'cancel', reason }, metaOf(call), call);
      return presentRun(state, pipeline, true);
    }),
    endpoint(runRestart, async ({ run_id, from_start }, call) => {
      const { state, pipeline } = await executeRun(ctx, run_id, { kind: 'restart', fromStart: from_start }, metaOf(call), call);
      return presentRun(state, pipeline, true);
    }),
    endpoint(stepList, async ({ run_id }, call) => {
      const state = await requireRun(ctx, run_id, call);
      return { run_id, steps: presentSteps(state, await pipelineOf(ctx, state)) };
    }),
    endpoint(stepGet, ({ run_id, step_id }, call) => stepOf(run_id, step_id, call)),
    endpoint(stepOutput, async ({ run_id, step_id }, call) => {
      const step = await stepOf(run_id, step_id, call);
      return { run_id, step_id, status: step.status, outputs: step.outputs };
    }),
    // `/v1/internal/run-history`: admins and the engine credential only, here as at the gateway.
    endpoint(runHistory, (request, call) => {
      requireAdmin(call);
      return queryHistory(ctx.pool, ctx.schema, request);
    }),
    endpoint(stepTimeout, async ({ run_id, step_id, attempt }) => {
      const { accepted } = await executeRun(ctx, run_id, { kind: 'timeout', stepId: step_id, attempt });
      return { accepted };
    }),
  ];
}
