import { ConflictError, runCancel, runSpawn } from '@cadre/proto';
import { call } from '@cadre/runtime';
import type { SwarmsContext } from '../context';
import { asPrincipal, swarmPrincipal } from '../principal';
import { taskPrompt } from './prompt';
import type { SwarmState, TaskState } from './state';

/**
 * Starts a task's current attempt: a spawned one-step run of the swarm's agent with the task's
 * prompt (its dependencies' outputs in it), made as the swarm's creator. The run id is the
 * attempt's own, so sending this again (the safety net after a crash) creates nothing more.
 */
export async function spawnTask(ctx: Pick<SwarmsContext, 'bus' | 'config'>, state: SwarmState, task: TaskState): Promise<void> {
  const runId = task.runIds.at(-1);
  if (runId === undefined) return;
  await call(ctx.bus, runSpawn, {
    run_id: runId,
    agent_id: state.agentId,
    model: task.spec.model ?? state.model,
    prompt: taskPrompt(state, task),
    timeout_seconds: task.spec.timeout_seconds ?? ctx.config.SWARMS_TASK_TIMEOUT_SECONDS,
    swarm_id: state.swarmId,
    ...(task.spec.project_id !== undefined ? { project_id: task.spec.project_id } : {}),
    ...(task.spec.task_id !== undefined ? { task_id: task.spec.task_id } : {}),
  }, { headers: asPrincipal(swarmPrincipal(state.createdBy, state.swarmId)), timeoutMs: 10_000 });
}

/** Cancels a task's run (its model call is aborted); a run that already ended is left as it is. */
export async function cancelTaskRun(ctx: Pick<SwarmsContext, 'bus'>, state: SwarmState, runId: string, reason: string): Promise<void> {
  try {
    await call(ctx.bus, runCancel, { run_id: runId, reason }, { headers: asPrincipal(swarmPrincipal(state.createdBy, state.swarmId)), timeoutMs: 10_000 });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
}
