import { ConflictError, NotFoundError, type SwarmTaskSpec } from '@cadre/proto';
import { taskRunId, type SwarmEvent } from './events';
import { evolve, isReady, isSettled, runningCount, summarize, taskByKey, tasksOf, type SwarmState, type TaskState } from './state';

/** How a task's run ended, as the runs service said. */
export type RunOutcome =
  | { readonly kind: 'completed'; readonly outputs: Readonly<Record<string, unknown>> }
  | { readonly kind: 'failed'; readonly error: string; readonly retryable: boolean }
  | { readonly kind: 'cancelled'; readonly reason: string };

/** What can be asked of a swarm. */
export type SwarmCommand =
  | {
      readonly kind: 'create'; readonly swarmId: string; readonly agentId: string; readonly model: string;
      readonly tasks: readonly SwarmTaskSpec[]; readonly maxConcurrent: number; readonly deviationRules: string;
      readonly globalTimeoutSeconds: number; readonly rootTasks: readonly string[]; readonly maxDepth: number;
      readonly createdBy?: string | undefined; readonly goal?: string | undefined;
    }
  | { readonly kind: 'run_finished'; readonly runId: string; readonly outcome: RunOutcome }
  /** Several runs' results at once (what a replica has gathered for one swarm): one decision, one append. */
  | { readonly kind: 'runs_finished'; readonly results: ReadonlyArray<{ readonly runId: string; readonly outcome: RunOutcome }> }
  | { readonly kind: 'tick' }
  | { readonly kind: 'cancel'; readonly reason?: string | undefined }
  | { readonly kind: 'retry' };

/** Retry backoff: `baseMs · 2^(failures so far)`, at most `maxMs`, then between half and all of it (jitter). */
export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** A command with what deciding it takes: the time, a random number in [0, 1) for jitter, the backoff. */
export interface SwarmRequest {
  readonly command: SwarmCommand;
  readonly now: Date;
  readonly jitter: number;
  readonly backoff: Backoff;
}

/** Events of one decision, folded as they are added so later choices see earlier ones. */
interface Draft {
  state: SwarmState;
  readonly now: string;
  readonly request: SwarmRequest;
  readonly events: SwarmEvent[];
}

function push(d: Draft, event: SwarmEvent): void {
  d.events.push(event);
  d.state = evolve(d.state, { ...event, occurredAt: d.now } as Parameters<typeof evolve>[1]);
}

const taskRef = (d: Draft, task: TaskState) => ({ swarm_id: d.state.swarmId, task_key: task.spec.key, task_title: task.spec.title });
const DEFAULT_MAX_RETRIES = 2;
const sinceStart = (task: TaskState, now: string): number => (task.startedAt === undefined ? 0 : Math.max(0, Date.parse(now) - Date.parse(task.startedAt)));

/** The delay before the next attempt after `failures` earlier retryable failures. */
export function backoffDelay(backoff: Backoff, failures: number, jitter: number): number {
  const full = Math.min(backoff.maxMs, backoff.baseMs * 2 ** failures);
  return Math.round(full / 2 + (full / 2) * Math.min(Math.max(jitter, 0), 1));
}

/** Pending tasks whose dependency failed, was skipped or cancelled are skipped, transitively (unless `always_run`). */
function cascadeSkips(d: Draft): void {
  for (let changed = true; changed;) {
    changed = false;
    for (const task of tasksOf(d.state)) {
      if (task.status !== 'pending' || task.spec.always_run === true) continue;
      const blocker = task.spec.dependencies.map((key) => taskByKey(d.state, key)).find((t) => t !== undefined && isSettled(t) && t.status !== 'completed');
      if (blocker === undefined) continue;
      push(d, { type: 'swarm_task_skipped', data: { ...taskRef(d, task), reason: `dependency '${blocker.spec.key}' ${blocker.status}`, dependency: blocker.spec.key } });
      changed = true;
    }
  }
}

/** Starts tasks while slots are free: retries that are due first, then ready tasks in launch order. */
function dispatch(d: Draft): void {
  let free = d.state.maxConcurrent - runningCount(d.state);
  if (free <= 0) return;
  const now = Date.parse(d.now);
  const due = tasksOf(d.state)
    .filter((t) => t.status === 'retrying' && t.retryAt !== undefined && Date.parse(t.retryAt) <= now)
    .sort((a, b) => Date.parse(a.retryAt ?? '') - Date.parse(b.retryAt ?? '') || a.index - b.index);
  const ready = tasksOf(d.state).filter((t) => isReady(d.state, t));
  for (const task of [...due, ...ready]) {
    if (free <= 0) return;
    const attempt = task.attempts + 1;
    push(d, {
      type: 'swarm_task_started',
      data: { ...taskRef(d, task), run_id: taskRunId(d.state.swarmId, task.index, attempt), attempt, agent_id: d.state.agentId },
    });
    free--;
  }
}

/** Ends the swarm once every task is settled: completed when all completed, else failed saying how many did not. */
function finishIfDone(d: Draft): void {
  const tasks = tasksOf(d.state);
  if (!tasks.every(isSettled)) return;
  const summary = summarize({ ...d.state, finishedAt: d.now }, d.now);
  if (summary.completed === summary.total_tasks) {
    push(d, { type: 'swarm_completed', data: { swarm_id: d.state.swarmId, summary } });
    return;
  }
  const failed = tasks.filter((t) => t.status === 'failed').map((t) => `'${t.spec.key}'`);
  const parts = [
    failed.length > 0 ? `${failed.length} task${failed.length > 1 ? 's' : ''} failed (${failed.join(', ')})` : undefined,
    summary.skipped > 0 ? `${summary.skipped} skipped` : undefined,
    summary.cancelled > 0 ? `${summary.cancelled} cancelled` : undefined,
  ].filter((p): p is string => p !== undefined);
  push(d, { type: 'swarm_failed', data: { swarm_id: d.state.swarmId, error: parts.join(', '), summary } });
}

/** After any change of a running swarm: skip what can no longer run, fill free slots, finish when nothing is left. */
function settle(d: Draft): void {
  if (d.state.status !== 'running') return;
  cascadeSkips(d);
  dispatch(d);
  finishIfDone(d);
}

function finishRun(d: Draft, task: TaskState, runId: string, outcome: RunOutcome): void {
  const ref = taskRef(d, task);
  const duration = sinceStart(task, d.now);
  if (outcome.kind === 'completed') {
    push(d, { type: 'swarm_task_complete', data: { ...ref, run_id: runId, attempt: task.attempts, outputs: { ...outcome.outputs }, duration_ms: duration } });
    return;
  }
  const error = outcome.kind === 'failed' ? outcome.error : `its run was cancelled${outcome.reason ? `: ${outcome.reason}` : ''}`;
  const retryable = outcome.kind === 'failed' && outcome.retryable;
  if (retryable && task.failures < (task.spec.max_retries ?? DEFAULT_MAX_RETRIES)) {
    const delay = backoffDelay(d.request.backoff, task.failures, d.request.jitter);
    push(d, {
      type: 'swarm_task_retrying',
      data: { ...ref, run_id: runId, attempt: task.attempts, error, delay_ms: delay, retry_at: new Date(Date.parse(d.now) + delay).toISOString() },
    });
    return;
  }
  push(d, { type: 'swarm_task_failed', data: { ...ref, run_id: runId, attempt: task.attempts, error, retryable, duration_ms: duration } });
}

/** The global timeout: running tasks fail, the rest are skipped, the swarm fails. */
function timeOut(d: Draft): void {
  const error = `the swarm's global timeout of ${d.state.globalTimeoutSeconds} s was reached`;
  for (const task of tasksOf(d.state)) {
    if (task.status === 'running') {
      push(d, {
        type: 'swarm_task_failed',
        data: { ...taskRef(d, task), run_id: task.runIds.at(-1), attempt: task.attempts, error, retryable: false, duration_ms: sinceStart(task, d.now) },
      });
    } else if (task.status === 'pending' || task.status === 'retrying') {
      push(d, { type: 'swarm_task_skipped', data: { ...taskRef(d, task), reason: 'the swarm ran out of time' } });
    }
  }
  push(d, { type: 'swarm_failed', data: { swarm_id: d.state.swarmId, error, summary: summarize({ ...d.state, finishedAt: d.now }, d.now) } });
}

/**
 * Decides what a command does to a swarm (pure: time, jitter and settings come in). Slots are
 * counted here, from the swarm's own events: every start is appended at the version the
 * decision read, so replicas racing to fill the same slot conflict and decide again — at no
 * moment do more than `max_concurrent` tasks run. Run results are idempotent: one about a run
 * that is not a running task's current run changes nothing (`false`).
 */
export function decideSwarm(state: SwarmState, request: SwarmRequest): { readonly events: readonly SwarmEvent[]; readonly accepted: boolean } {
  const { command } = request;
  const d: Draft = { state, now: request.now.toISOString(), request, events: [] };
  if (command.kind === 'create') {
    if (state.exists) throw new ConflictError(`swarm ${command.swarmId} already exists`);
    push(d, {
      type: 'swarm_created',
      data: {
        swarm_id: command.swarmId, agent_id: command.agentId, model: command.model, tasks: command.tasks.map((t) => ({ ...t })),
        max_concurrent: command.maxConcurrent, deviation_rules: command.deviationRules, global_timeout_seconds: command.globalTimeoutSeconds,
        deadline: new Date(request.now.getTime() + command.globalTimeoutSeconds * 1000).toISOString(),
        root_tasks: [...command.rootTasks], max_depth: command.maxDepth,
        ...(command.createdBy !== undefined ? { created_by: command.createdBy } : {}),
        ...(command.goal !== undefined ? { goal: command.goal } : {}),
      },
    });
    settle(d);
    return { events: d.events, accepted: true };
  }
  if (!state.exists) throw new NotFoundError('swarm not found');
  switch (command.kind) {
    case 'run_finished':
    case 'runs_finished': {
      if (state.status !== 'running') return { events: [], accepted: false };
      const results = command.kind === 'run_finished' ? [{ runId: command.runId, outcome: command.outcome }] : command.results;
      let accepted = false;
      for (const { runId, outcome } of results) {
        const task = tasksOf(d.state).find((t) => t.status === 'running' && t.runIds.at(-1) === runId);
        if (task === undefined) continue;
        finishRun(d, task, runId, outcome);
        accepted = true;
      }
      if (accepted) settle(d);
      return { events: d.events, accepted };
    }
    case 'tick': {
      if (state.status !== 'running') return { events: [], accepted: false };
      if (Date.parse(state.deadline) <= request.now.getTime()) timeOut(d);
      else settle(d);
      return { events: d.events, accepted: d.events.length > 0 };
    }
    case 'cancel': {
      if (state.status === 'cancelled') return { events: [], accepted: false };
      if (state.status !== 'running') throw new ConflictError(`swarm ${state.swarmId} is already ${state.status}`, { status: state.status });
      const runIds = tasksOf(state).filter((t) => t.status === 'running').map((t) => t.runIds.at(-1)).filter((id): id is string => id !== undefined);
      const base = { swarm_id: state.swarmId, run_ids: runIds, ...(command.reason !== undefined ? { reason: command.reason } : {}) };
      // The summary counts the tasks as this event leaves them.
      const after = evolve(state, { type: 'swarm_cancelled', data: { ...base, summary: summarize(state, d.now) }, occurredAt: d.now });
      push(d, { type: 'swarm_cancelled', data: { ...base, summary: summarize(after, d.now) } });
      return { events: d.events, accepted: true };
    }
    case 'retry': {
      if (state.status === 'running') throw new ConflictError(`swarm ${state.swarmId} is still running; only a finished swarm can be retried`, { status: state.status });
      const again = tasksOf(state).filter((t) => t.status !== 'completed').map((t) => t.spec.key);
      if (again.length === 0) throw new ConflictError(`every task of swarm ${state.swarmId} completed; there is nothing to retry`, { status: state.status });
      push(d, {
        type: 'swarm_retried',
        data: { swarm_id: state.swarmId, tasks: again, deadline: new Date(request.now.getTime() + state.globalTimeoutSeconds * 1000).toISOString() },
      });
      settle(d);
      return { events: d.events, accepted: true };
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}
