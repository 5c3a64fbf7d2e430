import { Pipeline } from '@cadre/pipelines';
import { SPAWN_PIPELINE_ID, SPAWN_STEP_ID } from '@cadre/proto';
import type { RunState, SpawnSpec } from '../run/state';

export { SPAWN_PIPELINE_ID, SPAWN_STEP_ID };

/**
 * The pipeline of a spawned run: one step of the agent, with the run's task description as its
 * input and one `result` output; no retries (the caller — a swarm — retries with its own
 * backoff), the spawn's model and timeout.
 */
export function spawnPipeline(spawn: SpawnSpec): Pipeline {
  return Pipeline.parse({
    id: SPAWN_PIPELINE_ID,
    name: 'Spawned execution',
    description: `One step of agent ${spawn.agent_id}`,
    defaults: { model: spawn.model, timeoutSeconds: spawn.timeout_seconds, maxRetries: 0 },
    agents: spawn.system_prompt === undefined || spawn.system_prompt === '' ? [] : [{ id: spawn.agent_id, name: spawn.agent_id, persona: spawn.system_prompt, model: spawn.model }],
    steps: [{
      id: SPAWN_STEP_ID, agent: spawn.agent_id, input: '{{task_description}}', outputs: [...(spawn.outputs ?? ['result'])], model: spawn.model,
      ...(spawn.structured_output !== undefined ? { structuredOutput: { ...spawn.structured_output } } : {}),
    }],
  });
}

/** Whether a run carries its pipeline (a spawned run, or one created with its definition's snapshot). */
export function hasOwnPipeline(state: Pick<RunState, 'spawn' | 'pipelineSnapshot'>): boolean {
  return state.spawn !== undefined || state.pipelineSnapshot !== undefined;
}

/**
 * A run's own pipeline: a spawned run's, or the definition it was created with (undefined
 * otherwise: a run created before runs carried it follows the registry's, looked up by id). A
 * snapshot that no longer parses (the format changed incompatibly) is undefined too.
 */
export function ownPipeline(state: Pick<RunState, 'spawn' | 'pipelineSnapshot'>): Pipeline | undefined {
  if (state.spawn !== undefined) return spawnPipeline(state.spawn);
  if (state.pipelineSnapshot === undefined) return undefined;
  const parsed = Pipeline.safeParse(state.pipelineSnapshot);
  return parsed.success ? parsed.data : undefined;
}
