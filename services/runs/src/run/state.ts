import type { RunStatus, StepStatus } from '@cadre/proto';
import type { TimedRunEvent } from './events';

/** Where in a loop an attempt runs: the loop step, the item index (from 0) and the item count. */
export interface LoopRef {
  readonly step: string;
  readonly index: number;
  readonly count: number;
}

/** One attempt of one step: what the executor was given and what came of it. */
export interface StepAttempt {
  readonly stepId: string;
  readonly attempt: number;
  readonly agentId: string | undefined;
  readonly status: StepStatus;
  readonly loop: LoopRef | undefined;
  readonly feedback: string | undefined;
  readonly timeoutSeconds: number | undefined;
  readonly attemptId: string | undefined;
  readonly outputs: Readonly<Record<string, unknown>> | undefined;
  readonly error: string | undefined;
  readonly queuedAt: string;
  readonly startedAt: string | undefined;
  readonly finishedAt: string | undefined;
}

/** What a spawned run was made with (`run_created.spawn`). */
export interface SpawnSpec {
  readonly agent_id: string;
  readonly model: string;
  readonly timeout_seconds: number;
  readonly system_prompt?: string | undefined;
  readonly outputs?: readonly string[] | undefined;
  readonly structured_output?: Readonly<Record<string, unknown>> | undefined;
}

/** Everything decisions about a run need, folded from its events. */
export interface RunState {
  readonly exists: boolean;
  readonly runId: string;
  readonly pipelineId: string;
  readonly taskDescription: string;
  readonly humanContext: string | undefined;
  readonly projectName: string | undefined;
  readonly projectId: string | undefined;
  readonly taskId: string | undefined;
  /** The actor who created the run (`user:<id>`, `api_key:<id>`, …). */
  readonly createdBy: string | undefined;
  /** The swarm whose task the run does (its events carry it). */
  readonly swarmId: string | undefined;
  /** A spawned one-step run: its agent, model and limit (its pipeline is made from these). */
  readonly spawn: SpawnSpec | undefined;
  /**
   * The pipeline definition the run was created with (`run_created.pipeline`), which it follows
   * to its end; undefined for a spawned run and for a run created before runs carried it (those
   * follow the stored pipeline of their id).
   */
  readonly pipelineSnapshot: Readonly<Record<string, unknown>> | undefined;
  readonly status: RunStatus;
  readonly error: string | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | undefined;
  /** Every attempt of every step, in the order they were queued. */
  readonly attempts: readonly StepAttempt[];
  /** Latest outputs of each step (for a loop step: of its latest item). */
  readonly outputs: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Outputs of each loop step per item index. */
  readonly itemOutputs: Readonly<Record<string, ReadonlyArray<Readonly<Record<string, unknown>>>>>;
  /** Retries used per step (failures and onResult retries); a restart resets them. */
  readonly retries: Readonly<Record<string, number>>;
  /** Completed attempts per step (bounds routed cycles through maxVisits). */
  readonly visits: Readonly<Record<string, number>>;
  readonly version: number;
}

export const initialRunState: RunState = {
  exists: false, runId: '', pipelineId: '', taskDescription: '', humanContext: undefined, projectName: undefined,
  projectId: undefined, taskId: undefined, createdBy: undefined, swarmId: undefined, spawn: undefined, pipelineSnapshot: undefined, status: 'pending', error: undefined, createdAt: '', updatedAt: '',
  finishedAt: undefined, attempts: [], outputs: {}, itemOutputs: {}, retries: {}, visits: {}, version: 0,
};

const TERMINAL: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);

/** True once the run completed, failed or was cancelled (until a restart). */
export function isTerminal(state: RunState): boolean {
  return TERMINAL.has(state.status);
}

/** The attempt in flight (queued or running), if any: a run works on one step at a time. */
export function activeAttempt(state: RunState): StepAttempt | undefined {
  const last = state.attempts.at(-1);
  return last !== undefined && (last.status === 'queued' || last.status === 'running') ? last : undefined;
}

/** The latest attempt of a step. */
export function latestAttempt(state: RunState, stepId: string): StepAttempt | undefined {
  return state.attempts.findLast((a) => a.stepId === stepId);
}

function updateAttempt(state: RunState, stepId: string, attempt: number | undefined, change: Partial<StepAttempt>): readonly StepAttempt[] {
  const index = state.attempts.findLastIndex((a) => a.stepId === stepId && (attempt === undefined || a.attempt === attempt));
  if (index < 0) return state.attempts;
  return state.attempts.map((a, i) => (i === index ? { ...a, ...change } : a));
}

function loopOf(data: { loop_step?: string | undefined; loop_index?: number | undefined; loop_count?: number | undefined }): LoopRef | undefined {
  return data.loop_step !== undefined && data.loop_index !== undefined
    ? { step: data.loop_step, index: data.loop_index, count: data.loop_count ?? data.loop_index + 1 }
    : undefined;
}

/** Applies one event to the run (pure). */
export function evolve(state: RunState, event: TimedRunEvent): RunState {
  const at = event.occurredAt;
  const next = { ...state, updatedAt: at, version: state.version + 1 };
  switch (event.type) {
    case 'run_created': {
      const d = event.data;
      return {
        ...next, exists: true, runId: d.run_id, pipelineId: d.pipeline_id, taskDescription: d.task_description,
        humanContext: d.human_context, projectName: d.project_name, projectId: d.project_id, taskId: d.task_id,
        createdBy: d.created_by, swarmId: d.swarm_id, spawn: d.spawn, pipelineSnapshot: d.pipeline, status: 'pending', createdAt: at,
      };
    }
    case 'step_queued': {
      const d = event.data;
      const attempt: StepAttempt = {
        stepId: d.step_id, attempt: d.attempt ?? 1, agentId: d.agent_id, status: 'queued', loop: loopOf(d),
        feedback: d.feedback, timeoutSeconds: d.timeout_seconds, attemptId: undefined, outputs: undefined,
        error: undefined, queuedAt: at, startedAt: undefined, finishedAt: undefined,
      };
      return { ...next, attempts: [...state.attempts, attempt] };
    }
    case 'step_started':
      return {
        ...next, status: 'running',
        attempts: updateAttempt(state, event.data.step_id, event.data.attempt ?? 1, { status: 'running', startedAt: at, attemptId: event.data.attempt_id }),
      };
    case 'step_complete': {
      const d = event.data;
      const done = updateAttempt(state, d.step_id, d.attempt, { status: 'completed', outputs: d.outputs, finishedAt: at, attemptId: d.attempt_id });
      const loop = loopOf(d);
      const itemOutputs = loop === undefined ? state.itemOutputs : {
        ...state.itemOutputs,
        [d.step_id]: Object.assign([...(state.itemOutputs[d.step_id] ?? [])], { [loop.index]: d.outputs }),
      };
      return {
        ...next, attempts: done, outputs: { ...state.outputs, [d.step_id]: d.outputs }, itemOutputs,
        visits: { ...state.visits, [d.step_id]: (state.visits[d.step_id] ?? 0) + 1 },
      };
    }
    case 'step_failed':
      return { ...next, attempts: updateAttempt(state, event.data.step_id, event.data.attempt, { status: 'failed', error: event.data.error, finishedAt: at }) };
    case 'step_retrying':
      return {
        ...next,
        retries: { ...state.retries, [event.data.step_id]: (state.retries[event.data.step_id] ?? 0) + 1 },
      };
    case 'step_cancelled':
      return { ...next, attempts: updateAttempt(state, event.data.step_id, event.data.attempt, { status: 'cancelled', finishedAt: at }) };
    case 'run_complete':
      return { ...next, status: 'completed', finishedAt: at, error: undefined };
    case 'run_failed':
      return { ...next, status: 'failed', finishedAt: at, error: event.data.error };
    case 'run_cancelled':
      return { ...next, status: 'cancelled', finishedAt: at, error: event.data.reason ?? state.error };
    case 'run_restarted':
      return event.data.from_start
        ? { ...next, status: 'pending', error: undefined, finishedAt: undefined, outputs: {}, itemOutputs: {}, retries: {}, visits: {} }
        : { ...next, status: 'pending', error: undefined, finishedAt: undefined, retries: event.data.step_id === undefined ? state.retries : { ...state.retries, [event.data.step_id]: 0 } };
    case 'activity':
      return next;
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** Folds a run's events from the initial state. */
export function foldRun(events: readonly TimedRunEvent[]): RunState {
  return events.reduce(evolve, initialRunState);
}
