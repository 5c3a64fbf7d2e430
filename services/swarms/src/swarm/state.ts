import type { SwarmStatus, SwarmSummary, SwarmTaskSpec, SwarmTaskStatus } from '@cadre/proto';
import type { TimedSwarmEvent } from './events';

/** A task's own state: `ready` is never stored (a pending task whose dependencies are done). */
export type StoredTaskStatus = Exclude<SwarmTaskStatus, 'ready'>;

/** One task of a swarm, folded from its events. */
export interface TaskState {
  readonly index: number;
  readonly spec: SwarmTaskSpec;
  readonly status: StoredTaskStatus;
  /** Attempts started so far (every attempt has a run of its own). */
  readonly attempts: number;
  /** Retryable failures since launch or the last swarm retry (counted against max_retries). */
  readonly failures: number;
  readonly runIds: readonly string[];
  readonly outputs: Readonly<Record<string, unknown>> | undefined;
  readonly error: string | undefined;
  readonly skipReason: string | undefined;
  readonly retryAt: string | undefined;
  readonly startedAt: string | undefined;
  readonly finishedAt: string | undefined;
  readonly durationMs: number | undefined;
}

/** Everything decisions about a swarm need, folded from its events. */
export interface SwarmState {
  readonly exists: boolean;
  readonly swarmId: string;
  readonly agentId: string;
  readonly model: string;
  readonly maxConcurrent: number;
  readonly deviationRules: string;
  readonly globalTimeoutSeconds: number;
  readonly deadline: string;
  readonly rootTasks: readonly string[];
  readonly maxDepth: number;
  readonly createdBy: string | undefined;
  readonly goal: string | undefined;
  readonly status: SwarmStatus;
  readonly error: string | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt: string | undefined;
  /** The tasks in the order they were given (an array: an event replaces one element, cheaply). */
  readonly tasks: readonly TaskState[];
  /** Index of each task by key (never changes after creation, so every state shares it). */
  readonly keys: ReadonlyMap<string, number>;
  readonly version: number;
}

export const initialSwarmState: SwarmState = {
  exists: false, swarmId: '', agentId: '', model: '', maxConcurrent: 1, deviationRules: '', globalTimeoutSeconds: 0, deadline: '',
  rootTasks: [], maxDepth: 0, createdBy: undefined, goal: undefined, status: 'running', error: undefined, createdAt: '', updatedAt: '',
  finishedAt: undefined, tasks: [], keys: new Map(), version: 0,
};

const DONE: ReadonlySet<StoredTaskStatus> = new Set(['completed', 'failed', 'skipped', 'cancelled']);

/** True for a task that will not run again (unless the swarm is retried). */
export function isSettled(task: TaskState): boolean {
  return DONE.has(task.status);
}

/** The tasks in launch order. */
export function tasksOf(state: SwarmState): readonly TaskState[] {
  return state.tasks;
}

/** One task by key. */
export function taskByKey(state: SwarmState, key: string): TaskState | undefined {
  const index = state.keys.get(key);
  return index === undefined ? undefined : state.tasks[index];
}

/** Tasks holding a slot now (their run is in flight). */
export function runningCount(state: SwarmState): number {
  let n = 0;
  for (const task of state.tasks) if (task.status === 'running') n++;
  return n;
}

/** A pending task whose dependencies allow it to start: all completed (or, for `always_run`, all settled). */
export function isReady(state: SwarmState, task: TaskState): boolean {
  if (task.status !== 'pending') return false;
  return task.spec.dependencies.every((key) => {
    const dependency = taskByKey(state, key);
    if (dependency === undefined) return false;
    return task.spec.always_run === true ? isSettled(dependency) : dependency.status === 'completed';
  });
}

/** The state a task shows: `ready` for a pending task that only waits for a slot. */
export function shownStatus(state: SwarmState, task: TaskState): SwarmTaskStatus {
  return isReady(state, task) ? 'ready' : task.status;
}

/** Counts and per-task results (durations up to `now` while the swarm runs). */
export function summarize(state: SwarmState, now: string): SwarmSummary {
  const tasks = tasksOf(state);
  const count = (status: StoredTaskStatus) => tasks.filter((t) => t.status === status).length;
  return {
    total_tasks: tasks.length,
    completed: count('completed'),
    failed: count('failed'),
    skipped: count('skipped'),
    cancelled: count('cancelled'),
    total_duration_ms: Math.max(0, Date.parse(state.finishedAt ?? now) - Date.parse(state.createdAt || now)),
    task_results: tasks.map((t) => ({
      key: t.spec.key, title: t.spec.title, status: t.status, attempts: t.attempts, run_id: t.runIds.at(-1) ?? null,
      error: t.error ?? t.skipReason ?? null, duration_ms: t.durationMs ?? null,
    })),
  };
}

function withTask(state: SwarmState, key: string, change: (task: TaskState) => Partial<TaskState>): readonly TaskState[] {
  const index = state.keys.get(key);
  const task = index === undefined ? undefined : state.tasks[index];
  return task === undefined || index === undefined ? state.tasks : state.tasks.with(index, { ...task, ...change(task) });
}

const elapsed = (from: string | undefined, to: string): number => (from === undefined ? 0 : Math.max(0, Date.parse(to) - Date.parse(from)));

/** Applies one event to the swarm (pure). */
export function evolve(state: SwarmState, event: TimedSwarmEvent): SwarmState {
  const at = event.occurredAt;
  const next = { ...state, updatedAt: at, version: state.version + 1 };
  switch (event.type) {
    case 'swarm_created': {
      const d = event.data;
      const tasks: TaskState[] = d.tasks.map((spec, index) => ({
        index, spec: { ...spec, dependencies: spec.dependencies ?? [] }, status: 'pending', attempts: 0, failures: 0, runIds: [], outputs: undefined,
        error: undefined, skipReason: undefined, retryAt: undefined, startedAt: undefined, finishedAt: undefined, durationMs: undefined,
      }));
      return {
        ...next, exists: true, swarmId: d.swarm_id, agentId: d.agent_id, model: d.model, maxConcurrent: d.max_concurrent,
        deviationRules: d.deviation_rules ?? '', globalTimeoutSeconds: d.global_timeout_seconds, deadline: d.deadline,
        rootTasks: d.root_tasks, maxDepth: d.max_depth, createdBy: d.created_by, goal: d.goal, status: 'running', createdAt: at,
        tasks, keys: new Map(d.tasks.map((t, index) => [t.key, index])),
      };
    }
    case 'swarm_task_started':
      return {
        ...next,
        tasks: withTask(state, event.data.task_key, (t) => ({
          status: 'running', attempts: event.data.attempt, runIds: [...t.runIds, event.data.run_id], startedAt: at,
          retryAt: undefined, finishedAt: undefined, durationMs: undefined,
        })),
      };
    case 'swarm_task_complete':
      return {
        ...next,
        tasks: withTask(state, event.data.task_key, () => ({
          status: 'completed', outputs: event.data.outputs, error: undefined, finishedAt: at, durationMs: event.data.duration_ms,
        })),
      };
    case 'swarm_task_retrying':
      return {
        ...next,
        tasks: withTask(state, event.data.task_key, (t) => ({
          status: 'retrying', failures: t.failures + 1, error: event.data.error, retryAt: event.data.retry_at, durationMs: elapsed(t.startedAt, at),
        })),
      };
    case 'swarm_task_failed':
      return {
        ...next,
        tasks: withTask(state, event.data.task_key, () => ({ status: 'failed', error: event.data.error, finishedAt: at, durationMs: event.data.duration_ms, retryAt: undefined })),
      };
    case 'swarm_task_skipped':
      return { ...next, tasks: withTask(state, event.data.task_key, () => ({ status: 'skipped', skipReason: event.data.reason, finishedAt: at })) };
    case 'swarm_completed':
      return { ...next, status: 'completed', error: undefined, finishedAt: at };
    case 'swarm_failed':
      return { ...next, status: 'failed', error: event.data.error, finishedAt: at };
    case 'swarm_cancelled': {
      const tasks = state.tasks.map((task) => (isSettled(task) ? task : {
        ...task, status: 'cancelled' as const, retryAt: undefined, finishedAt: at,
        durationMs: task.status === 'running' ? elapsed(task.startedAt, at) : task.durationMs,
      }));
      return { ...next, status: 'cancelled', error: event.data.reason ?? 'cancelled', finishedAt: at, tasks };
    }
    case 'swarm_retried': {
      const again = new Set(event.data.tasks);
      const tasks = state.tasks.map((task) => (!again.has(task.spec.key) ? task : {
        ...task, status: 'pending' as const, failures: 0, outputs: undefined, error: undefined, skipReason: undefined, retryAt: undefined,
        startedAt: undefined, finishedAt: undefined, durationMs: undefined,
      }));
      return { ...next, status: 'running', error: undefined, finishedAt: undefined, deadline: event.data.deadline, tasks };
    }
    default: {
      const never: never = event;
      return never;
    }
  }
}
