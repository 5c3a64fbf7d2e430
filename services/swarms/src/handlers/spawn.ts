import type { RequestHandler } from '@cadre/bus';
import { NotFoundError, SPAWN_PIPELINE_ID, SPAWN_STEP_ID, runGet, runSpawn, spawnExecute, spawnGet, type RunView, type SpawnView } from '@cadre/proto';
import { call as callService, endpoint } from '@cadre/runtime';
import type { SwarmsContext } from '../context';
import { forwardCaller } from '../principal';
import { requireAgent } from './agent';

/** A spawned execution as the API shows it, from its run. */
export function presentSpawn(run: RunView): SpawnView {
  const outputs = run.outputs[SPAWN_STEP_ID];
  return {
    id: run.id, run_id: run.id, agent_id: run.steps?.[0]?.agent_id ?? '', status: run.status,
    outputs: outputs === undefined ? null : { ...outputs }, error: run.error, created_at: run.created_at, completed_at: run.completed_at,
  };
}

/** The spawn executor: one-off agent executions, each a one-step run of the runs service (its id is the run's). */
export function spawnHandlers(ctx: SwarmsContext): ReadonlyArray<readonly [string, RequestHandler]> {
  return [
    endpoint(spawnExecute, async (request, call) => {
      const agent = await requireAgent(ctx, request.agent_id);
      const prompt = request.deviation_rules.trim() === '' ? request.execution_prompt : `${request.execution_prompt}\n\n## Deviation rules\n${request.deviation_rules}`;
      const run = await callService(ctx.bus, runSpawn, {
        run_id: ctx.newId(), agent_id: request.agent_id, model: request.model_override ?? agent.model ?? ctx.config.SWARMS_DEFAULT_MODEL,
        prompt, timeout_seconds: request.timeout_seconds,
        ...(request.project_id !== undefined ? { project_id: request.project_id } : {}),
        ...(request.task_id !== undefined ? { task_id: request.task_id } : {}),
      }, { headers: forwardCaller(call) });
      return presentSpawn(run);
    }),
    endpoint(spawnGet, async ({ id }, call) => {
      const run = await callService(ctx.bus, runGet, { run_id: id }, { headers: forwardCaller(call) });
      // Only spawned runs are executions; any other run id is not one.
      if (run.pipeline_id !== SPAWN_PIPELINE_ID) throw new NotFoundError(`spawned execution '${id}' not found`, { id });
      return presentSpawn(run);
    }),
  ];
}
