import { encodeJson } from '@cadre/bus';
import { effectiveStepSettings, loopItems, renderTemplate, type Pipeline } from '@cadre/pipelines';
import { STEP_QUEUE, type StepJob } from '@cadre/proto';
import type { RunsContext } from '../context';
import { templateContext } from '../run/flow';
import { runOwner } from '../run/owner';
import { activeAttempt, type RunState, type StepAttempt } from '../run/state';

/** Dedup id of a step attempt on the work queue: `<run>:<step>:<attempt>[:<loop index>]`. */
export function stepJobId(runId: string, attempt: { readonly stepId: string; readonly attempt: number; readonly loop?: { readonly index: number } | undefined }): string {
  const base = `${runId}:${attempt.stepId}:${attempt.attempt}`;
  return attempt.loop === undefined ? base : `${base}:${attempt.loop.index}`;
}


/** Everything the executor needs for one attempt: settings, rendered input, feedback. */
export function buildStepJob(state: RunState, attempt: StepAttempt, pipeline: Pipeline): StepJob {
  const settings = effectiveStepSettings(pipeline, attempt.stepId);
  const step = pipeline.steps.find((s) => s.id === attempt.stepId);
  const context = templateContext(state, pipeline, attempt.loop?.step);
  const loop = attempt.loop === undefined ? undefined : {
    item: loopItems(pipeline, attempt.loop.step, context.outputs ?? {})[attempt.loop.index],
    index: attempt.loop.index,
    count: attempt.loop.count,
  };
  const input = renderTemplate(step?.input ?? '', {
    ...context, ...(attempt.feedback !== undefined ? { feedback: attempt.feedback } : {}), ...(loop !== undefined ? { loop } : {}),
  }).text;
  return {
    run_id: state.runId,
    step_id: attempt.stepId,
    attempt: attempt.attempt,
    ...(attempt.loop !== undefined ? { loop_index: attempt.loop.index, loop_step: attempt.loop.step, loop_count: attempt.loop.count } : {}),
    agent_id: settings.agentId,
    model: settings.model,
    model_source: settings.modelSource,
    system_prompt: settings.agent?.persona ?? '',
    input,
    outputs: [...(step?.outputs ?? [])],
    ...(settings.structuredOutput !== undefined ? { structured_output: { ...settings.structuredOutput } } : {}),
    tools: [...(settings.tools ?? [])],
    ...(attempt.feedback !== undefined ? { feedback: attempt.feedback } : {}),
    ...(runOwner(state) !== undefined ? { user_id: runOwner(state) } : {}),
    ...(state.swarmId !== undefined ? { swarm_id: state.swarmId } : {}),
    ...(state.projectId !== undefined ? { project_id: state.projectId } : {}),
    limits: {
      timeout_seconds: attempt.timeoutSeconds ?? settings.timeoutSeconds,
      max_turns: settings.maxTurns,
      ...(settings.maxTokens !== undefined ? { max_tokens: settings.maxTokens } : {}),
      temperature: settings.temperature,
    },
  };
}

/**
 * Puts the run's queued attempt on the work queue, built from the run as it is now. The msgId
 * (one per attempt) makes a second enqueue of the same attempt add no job.
 */
export async function enqueueQueuedStep(ctx: RunsContext, state: RunState, pipeline: Pipeline | undefined): Promise<void> {
  const attempt = activeAttempt(state);
  if (attempt === undefined || attempt.status !== 'queued') return;
  if (pipeline === undefined) {
    ctx.logger.warn({ runId: state.runId, pipelineId: state.pipelineId }, 'queued step of a deleted pipeline not dispatched');
    return;
  }
  const job = buildStepJob(state, attempt, pipeline);
  const jobId = stepJobId(state.runId, attempt);
  await ctx.bus.workQueue(STEP_QUEUE).enqueue(encodeJson(job), { msgId: jobId });
  ctx.enqueuedSteps.set(jobId, true);
}
