import { nextAction, type Pipeline } from '@cadre/pipelines';
import { ConflictError, NotFoundError } from '@cadre/proto';
import type { RunEvent } from './events';
import { applyAction, draft, failRun, push, retryOrFail, startFromTheTop, queueStep, templateContext, type Draft } from './flow';
import { activeAttempt, isTerminal, type RunState, type SpawnSpec, type StepAttempt } from './state';

/** Which attempt of which step an executor report is about. */
export interface AttemptRef {
  readonly stepId: string;
  readonly attempt: number;
  readonly attemptId: string;
  readonly loopIndex?: number | undefined;
}

/** What can be asked of a run. */
export type RunCommand =
  | {
      readonly kind: 'create'; readonly runId: string; readonly pipelineId: string; readonly taskDescription: string;
      readonly humanContext?: string | undefined; readonly projectName?: string | undefined;
      readonly projectId?: string | undefined; readonly taskId?: string | undefined; readonly createdBy?: string | undefined;
      readonly speak?: boolean | undefined;
      readonly swarmId?: string | undefined; readonly spawn?: SpawnSpec | undefined;
    }
  | (AttemptRef & { readonly kind: 'step_started'; readonly agentId: string; readonly sessionId?: string | undefined })
  | (AttemptRef & { readonly kind: 'step_completed'; readonly outputs: Readonly<Record<string, unknown>> })
  | (AttemptRef & { readonly kind: 'step_failed'; readonly error: string; readonly retryable: boolean })
  | { readonly kind: 'timeout'; readonly stepId: string; readonly attempt: number }
  | { readonly kind: 'cancel'; readonly reason?: string | undefined }
  | { readonly kind: 'restart'; readonly fromStart: boolean };

/** The events to append, and whether a report was taken (false: duplicate or stale). */
export interface RunDecision {
  readonly events: readonly RunEvent[];
  readonly accepted: boolean;
}

const none = (accepted: boolean): RunDecision => ({ events: [], accepted });

/**
 * Largest pipeline (as JSON) a run carries in its `run_created`: the event stays well below the
 * bus's message limit (1 MiB on NATS by default). A bigger one is not carried: that run follows
 * the stored pipeline of its id, as runs created before the snapshot existed do.
 */
export const MAX_PIPELINE_SNAPSHOT_BYTES = 256 * 1024;

/** The pipeline as the run carries it, or undefined when it is too big to. */
function snapshotOf(pipeline: Pipeline): Record<string, unknown> | undefined {
  const text = JSON.stringify(pipeline);
  return Buffer.byteLength(text) <= MAX_PIPELINE_SNAPSHOT_BYTES ? (JSON.parse(text) as Record<string, unknown>) : undefined;
}

/** The attempt a report is about, when it is the one in flight (else the report is stale). */
function current(state: RunState, ref: AttemptRef | { stepId: string; attempt: number; loopIndex?: number | undefined }): StepAttempt | undefined {
  const active = activeAttempt(state);
  if (isTerminal(state) || active === undefined) return undefined;
  if (active.stepId !== ref.stepId || active.attempt !== ref.attempt) return undefined;
  if (ref.loopIndex !== undefined && active.loop?.index !== ref.loopIndex) return undefined;
  return active;
}

function failAttempt(d: Draft, attempt: StepAttempt, error: string, retryable: boolean, extra: { attemptId?: string; timedOut?: boolean }): void {
  push(d, {
    type: 'step_failed',
    data: {
      run_id: d.state.runId, step_id: attempt.stepId, agent_id: attempt.agentId, error, attempt: attempt.attempt,
      retry_count: d.state.retries[attempt.stepId] ?? 0,
      ...(extra.attemptId !== undefined ? { attempt_id: extra.attemptId } : {}),
      ...(extra.timedOut === true ? { timed_out: true } : {}),
      ...(attempt.loop !== undefined ? { loop_step: attempt.loop.step, loop_index: attempt.loop.index, loop_count: attempt.loop.count } : {}),
    },
  });
  const failure = `step '${attempt.stepId}' failed: ${error}`;
  if (!retryable) return failRun(d, failure, attempt.stepId, false);
  const limit = d.pipeline.steps.find((s) => s.id === attempt.stepId)?.maxRetries ?? d.pipeline.defaults.maxRetries;
  const feedback = `[RETRY ${(d.state.retries[attempt.stepId] ?? 0) + 1}/${limit}] Previous attempt failed: ${error}`;
  retryOrFail(d, attempt.stepId, attempt.loop, feedback, failure);
}

/**
 * Decides what a command does to a run (pure: the pipeline and the time come in). Reports of
 * the executor are idempotent: one about an attempt that is not in flight (already done,
 * superseded by a retry, or its run ended) changes nothing and is answered `accepted: false`.
 */
export function decideRun(state: RunState, command: RunCommand, pipeline: Pipeline | undefined, now: Date): RunDecision {
  if (command.kind === 'create') {
    if (state.exists) throw new ConflictError(`run ${command.runId} already exists`);
    if (pipeline === undefined) throw new NotFoundError(`pipeline '${command.pipelineId}' not found`);
    const d = draft(state, pipeline, now);
    // A run keeps the definition it was created with (a spawned run's is made from `spawn`).
    const snapshot = command.spawn === undefined ? snapshotOf(pipeline) : undefined;
    push(d, {
      type: 'run_created',
      data: {
        run_id: command.runId, pipeline_id: pipeline.id, task_description: command.taskDescription,
        ...(command.humanContext !== undefined ? { human_context: command.humanContext } : {}),
        ...(command.projectName !== undefined ? { project_name: command.projectName } : {}),
        ...(command.projectId !== undefined ? { project_id: command.projectId } : {}),
        ...(command.taskId !== undefined ? { task_id: command.taskId } : {}),
        ...(command.createdBy !== undefined ? { created_by: command.createdBy } : {}),
        ...(command.speak === true ? { speak: true } : {}),
        ...(command.swarmId !== undefined ? { swarm_id: command.swarmId } : {}),
        ...(command.spawn !== undefined ? {
          spawn: {
            agent_id: command.spawn.agent_id, model: command.spawn.model, timeout_seconds: command.spawn.timeout_seconds,
            ...(command.spawn.system_prompt !== undefined ? { system_prompt: command.spawn.system_prompt } : {}),
            ...(command.spawn.outputs !== undefined ? { outputs: [...command.spawn.outputs] } : {}),
            ...(command.spawn.structured_output !== undefined ? { structured_output: { ...command.spawn.structured_output } } : {}),
          },
        } : {}),
        ...(snapshot !== undefined ? { pipeline: snapshot } : {}),
      },
    });
    startFromTheTop(d);
    return { events: d.events, accepted: true };
  }
  if (!state.exists) throw new NotFoundError('run not found');

  switch (command.kind) {
    case 'step_started': {
      const attempt = current(state, command);
      if (attempt === undefined) return none(false);
      // The same delivery reporting twice (a retried request) changes nothing.
      if (attempt.status === 'running' && attempt.attemptId === command.attemptId) return none(true);
      // Another delivery of a running attempt means the bus handed the job on: its first worker
      // stopped heartbeating (crashed). The new worker takes over at once instead of the step
      // waiting out its timeout; whichever worker completes first is recorded, once.
      if (attempt.status !== 'queued' && attempt.status !== 'running') return none(false);
      return {
        accepted: true,
        events: [{
          type: 'step_started',
          data: {
            run_id: state.runId, step_id: attempt.stepId, agent_id: command.agentId, attempt: attempt.attempt, attempt_id: command.attemptId,
            ...(command.sessionId !== undefined ? { session_id: command.sessionId } : {}),
            ...(attempt.loop !== undefined ? { loop_step: attempt.loop.step, loop_index: attempt.loop.index, loop_count: attempt.loop.count } : {}),
          },
        }],
      };
    }
    case 'step_completed': {
      const attempt = current(state, command);
      if (attempt === undefined) return none(false);
      if (pipeline === undefined) return withoutPipeline(state);
      const d = draft(state, pipeline, now);
      push(d, {
        type: 'step_complete',
        data: {
          run_id: state.runId, step_id: attempt.stepId, agent_id: attempt.agentId, outputs: { ...command.outputs },
          attempt: attempt.attempt, attempt_id: command.attemptId,
          ...(attempt.loop !== undefined ? { loop_step: attempt.loop.step, loop_index: attempt.loop.index, loop_count: attempt.loop.count } : {}),
        },
      });
      const action = nextAction(pipeline, attempt.stepId, command.outputs, {
        context: templateContext(d.state, pipeline, attempt.loop?.step),
        ...(attempt.loop !== undefined ? { loop: attempt.loop } : {}),
        retriesUsed: d.state.retries[attempt.stepId] ?? 0,
        visits: d.state.visits,
      });
      applyAction(d, attempt.stepId, action, attempt.loop);
      return { events: d.events, accepted: true };
    }
    case 'step_failed': {
      const attempt = current(state, command);
      if (attempt === undefined) return none(false);
      if (pipeline === undefined) return withoutPipeline(state);
      const d = draft(state, pipeline, now);
      failAttempt(d, attempt, command.error, command.retryable, { attemptId: command.attemptId });
      return { events: d.events, accepted: true };
    }
    case 'timeout': {
      const attempt = current(state, command);
      if (attempt === undefined || attempt.status !== 'running' || attempt.startedAt === undefined) return none(false);
      const limit = attempt.timeoutSeconds ?? pipeline?.defaults.timeoutSeconds ?? 900;
      if (Date.parse(attempt.startedAt) + limit * 1000 > now.getTime()) return none(false);
      if (pipeline === undefined) return withoutPipeline(state);
      const d = draft(state, pipeline, now);
      failAttempt(d, attempt, `timed out after ${limit} s`, true, { timedOut: true });
      return { events: d.events, accepted: true };
    }
    case 'cancel': {
      if (state.status === 'cancelled') return none(false);
      if (isTerminal(state)) throw new ConflictError(`run ${state.runId} is already ${state.status}`, { status: state.status });
      const events: RunEvent[] = [];
      const active = activeAttempt(state);
      if (active !== undefined) {
        events.push({ type: 'step_cancelled', data: { run_id: state.runId, step_id: active.stepId, agent_id: active.agentId, attempt: active.attempt, reason: 'run cancelled' } });
      }
      events.push({ type: 'run_cancelled', data: { run_id: state.runId, ...(command.reason !== undefined ? { reason: command.reason } : {}) } });
      return { events, accepted: true };
    }
    case 'restart': {
      if (state.status !== 'failed' && state.status !== 'cancelled') {
        throw new ConflictError(`only a failed or cancelled run can be restarted; run ${state.runId} is ${state.status}`, { status: state.status });
      }
      if (pipeline === undefined) throw new NotFoundError(`pipeline '${state.pipelineId}' no longer exists`);
      const d = draft(state, pipeline, now);
      // Resume where it stopped: the last attempt is the failed (or cancelled) one.
      const stoppedAt = state.attempts.at(-1);
      const fromStart = command.fromStart || stoppedAt === undefined;
      push(d, { type: 'run_restarted', data: { run_id: state.runId, from_start: fromStart, ...(!fromStart ? { step_id: stoppedAt.stepId } : {}) } });
      if (fromStart) startFromTheTop(d);
      else queueStep(d, stoppedAt.stepId, stoppedAt.loop);
      return { events: d.events, accepted: true };
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}

/** A run whose pipeline was deleted cannot be routed on: it fails, saying why. */
function withoutPipeline(state: RunState): RunDecision {
  const error = `pipeline '${state.pipelineId}' no longer exists`;
  return { accepted: true, events: [{ type: 'run_failed', data: { run_id: state.runId, error } }] };
}
