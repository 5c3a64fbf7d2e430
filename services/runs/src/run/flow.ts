import {
  afterLoop, effectiveStepSettings, firstStep, loopItems, loopStepOutputs, type FailAction, type FlowAction,
  type NextAction, type Pipeline, type RunOutputs, type TemplateContext,
} from '@cadre/pipelines';
import type { RunEvent } from './events';
import { evolve, type LoopRef, type RunState } from './state';

/** Events of one decision, folded as they are added so later choices see earlier ones. */
export interface Draft {
  readonly pipeline: Pipeline;
  readonly now: string;
  state: RunState;
  readonly events: RunEvent[];
}

/** Starts a decision on the current state. */
export function draft(state: RunState, pipeline: Pipeline, now: Date): Draft {
  return { pipeline, now: now.toISOString(), state, events: [] };
}

/** Adds an event and folds it into the draft's state. */
export function push(d: Draft, event: RunEvent): void {
  d.events.push(event);
  d.state = evolve(d.state, { ...event, occurredAt: d.now } as Parameters<typeof evolve>[1]);
}

/**
 * The outputs templates see: each step's latest outputs, except that a loop step seen from
 * outside its loop shows the list of its items' outputs (`loopStepOutputs`).
 */
export function runOutputs(state: RunState, pipeline: Pipeline, insideLoop: string | undefined): RunOutputs {
  const outputs: Record<string, Readonly<Record<string, unknown>>> = { ...state.outputs };
  for (const [stepId, items] of Object.entries(state.itemOutputs)) {
    if (stepId === insideLoop || !pipeline.steps.some((s) => s.id === stepId && s.loop !== undefined)) continue;
    outputs[stepId] = loopStepOutputs(pipeline, stepId, Array.from(items, (item) => item ?? {}));
  }
  return outputs;
}

/** Run values for templates (outputs seen from `insideLoop`, when set). */
export function templateContext(state: RunState, pipeline: Pipeline, insideLoop: string | undefined): TemplateContext {
  return {
    task_description: state.taskDescription,
    ...(state.humanContext !== undefined ? { human_context: state.humanContext } : {}),
    ...(state.projectName !== undefined ? { project_name: state.projectName } : {}),
    outputs: runOutputs(state, pipeline, insideLoop),
  };
}

/** Fails the run (and says why in the activity feed). */
export function failRun(d: Draft, error: string, stepId?: string, retryable?: boolean): void {
  push(d, {
    type: 'run_failed',
    data: { run_id: d.state.runId, error, ...(stepId !== undefined ? { step_id: stepId } : {}), ...(retryable !== undefined ? { retryable } : {}) },
  });
}

/**
 * Queues a step (an attempt of it). Entering a loop step reads its items first: an empty list
 * goes straight to where the loop leads.
 */
export function queueStep(d: Draft, stepId: string, loop?: LoopRef, feedback?: string): void {
  const step = d.pipeline.steps.find((s) => s.id === stepId);
  if (step === undefined) return failRun(d, `pipeline '${d.pipeline.id}' has no step '${stepId}'`, stepId);
  let position = loop;
  if (step.loop !== undefined && position === undefined) {
    const items = loopItems(d.pipeline, stepId, runOutputs(d.state, d.pipeline, undefined));
    if (items.length === 0) return applyAction(d, stepId, afterLoop(d.pipeline, stepId), undefined);
    position = { step: stepId, index: 0, count: items.length };
  }
  const settings = effectiveStepSettings(d.pipeline, stepId);
  const attempt = d.state.attempts.filter((a) => a.stepId === stepId).length + 1;
  push(d, {
    type: 'step_queued',
    data: {
      run_id: d.state.runId, step_id: stepId, agent_id: settings.agentId, attempt, timeout_seconds: settings.timeoutSeconds,
      ...(position !== undefined ? { loop_step: position.step, loop_index: position.index, loop_count: position.count } : {}),
      ...(feedback !== undefined ? { feedback } : {}),
    },
  });
}

/** Retries a step with feedback when it has retries left; otherwise fails the run. */
export function retryOrFail(d: Draft, stepId: string, loop: LoopRef | undefined, feedback: string, failure: string): void {
  const used = d.state.retries[stepId] ?? 0;
  const limit = effectiveStepSettings(d.pipeline, stepId).maxRetries;
  if (used >= limit) return failRun(d, failure, stepId, true);
  const attempt = d.state.attempts.filter((a) => a.stepId === stepId).length + 1;
  push(d, { type: 'step_retrying', data: { run_id: d.state.runId, step_id: stepId, feedback, attempt } });
  queueStep(d, stepId, loop, feedback);
}

/** Carries out what `nextAction` (or a loop's end) chose after `stepId`. */
export function applyAction(d: Draft, stepId: string, action: NextAction | FlowAction | FailAction, loop: LoopRef | undefined): void {
  switch (action.kind) {
    case 'goto':
      return queueStep(d, action.step, action.loop);
    case 'complete':
      return void push(d, { type: 'run_complete', data: { run_id: d.state.runId, outputs: runOutputs(d.state, d.pipeline, undefined) } });
    case 'fail':
      return failRun(d, action.error, stepId);
    case 'retry':
      // onResult asked for another attempt; nextAction already checked the retry budget.
      push(d, { type: 'step_retrying', data: { run_id: d.state.runId, step_id: stepId, feedback: action.feedback, attempt: d.state.attempts.filter((a) => a.stepId === stepId).length + 1 } });
      return queueStep(d, stepId, loop, action.feedback);
    case 'notify':
      push(d, { type: 'activity', data: { kind: 'notify', message: action.message, run_id: d.state.runId } });
      return applyAction(d, stepId, action.then, loop);
    default: {
      const never: never = action;
      return never;
    }
  }
}

/** Queues the pipeline's first step. */
export function startFromTheTop(d: Draft): void {
  queueStep(d, firstStep(d.pipeline));
}
