import type { EventEnvelope } from '@cadre/proto';

export type Priority = 'P0' | 'P1' | 'P2' | 'P3';

/** The claim on a task. */
export interface Claim {
  readonly holder: string;
  readonly claimedAt: string;
  /** ISO time after which it no longer holds; null: until released. */
  readonly expiresAt: string | null;
}

/** The last run started for the task from the board. */
export interface Execution {
  readonly runId: string;
  readonly pipelineId: string;
  /** Its end moved the task (or was seen): a second report of it changes nothing. */
  readonly finished: boolean;
}

/** A task as its stream (`task-<id>`) folds. */
export interface TaskState {
  readonly exists: boolean;
  readonly taskId: string;
  readonly projectId: string;
  readonly owner: string | undefined;
  readonly key: string;
  readonly title: string;
  readonly description: string;
  readonly priority: Priority;
  readonly labels: readonly string[];
  readonly estimate: number | null;
  readonly kind: string | null;
  readonly assignee: string | null;
  readonly status: string;
  readonly claim: Claim | undefined;
  readonly execution: Execution | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

export const NO_TASK: TaskState = {
  exists: false, taskId: '', projectId: '', owner: undefined, key: '', title: '', description: '', priority: 'P2', labels: [],
  estimate: null, kind: null, assignee: null, status: '', claim: undefined, execution: undefined, createdAt: '', updatedAt: '', version: 0,
};

export interface TaskFieldsData {
  title?: string; description?: string; priority?: Priority; labels?: string[]; estimate?: number | null; kind?: string | null; assignee?: string | null;
}
type Data<T extends object> = Readonly<T & { project_id: string; task_id: string }>;

/** How a run of a task ended. */
export type RunOutcome = 'complete' | 'failed' | 'cancelled';

export type TransitionCause = 'manual' | 'execution_started' | 'run_complete' | 'run_failed' | 'run_cancelled';

/** An event of a task's stream as its decider sees it (with owner and time from the envelope). */
export type TaskEvent = (
  | { readonly type: 'task_created'; readonly data: Data<TaskFieldsData & { key: string; title: string; status: string }> }
  | { readonly type: 'task_updated'; readonly data: Data<TaskFieldsData> }
  | { readonly type: 'task_claimed'; readonly data: Data<{ holder: string; claimed_at: string; expires_at: string | null }> }
  | { readonly type: 'task_claim_released'; readonly data: Data<{ holder: string; reason: 'released' | 'expired' }> }
  | { readonly type: 'task_transitioned'; readonly data: Data<{ from: string; to: string; cause: TransitionCause; run_id?: string; reason?: string }> }
  | { readonly type: 'task_execution_started'; readonly data: Data<{ run_id: string; pipeline_id: string }> }
  | { readonly type: 'task_execution_finished'; readonly data: Data<{ run_id: string; outcome: RunOutcome }> }
) & { readonly owner?: string | undefined; readonly occurredAt?: string };

const TYPES = new Set<string>(['task_created', 'task_updated', 'task_claimed', 'task_claim_released', 'task_transitioned', 'task_execution_started', 'task_execution_finished']);

export const taskStream = (taskId: string): string => `task-${taskId}`;

export function toTaskEvent(envelope: EventEnvelope): TaskEvent | undefined {
  if (!TYPES.has(envelope.type)) return undefined;
  return { type: envelope.type, data: envelope.data, owner: envelope.meta.owner, occurredAt: envelope.occurredAt } as TaskEvent;
}

function fields(state: TaskState, d: TaskFieldsData): TaskState {
  return {
    ...state,
    ...(d.title !== undefined ? { title: d.title } : {}),
    ...(d.description !== undefined ? { description: d.description } : {}),
    ...(d.priority !== undefined ? { priority: d.priority } : {}),
    ...(d.labels !== undefined ? { labels: d.labels } : {}),
    ...(d.estimate !== undefined ? { estimate: d.estimate } : {}),
    ...(d.kind !== undefined ? { kind: d.kind } : {}),
    ...(d.assignee !== undefined ? { assignee: d.assignee } : {}),
  };
}

export function evolveTask(state: TaskState, event: TaskEvent): TaskState {
  const at = event.occurredAt ?? state.updatedAt;
  const next = { ...state, version: state.version + 1, updatedAt: at };
  switch (event.type) {
    case 'task_created':
      return {
        ...fields(next, event.data), exists: true, taskId: event.data.task_id, projectId: event.data.project_id, owner: event.owner,
        key: event.data.key, status: event.data.status, createdAt: at,
      };
    case 'task_updated':
      return fields(next, event.data);
    case 'task_claimed':
      return { ...next, claim: { holder: event.data.holder, claimedAt: event.data.claimed_at, expiresAt: event.data.expires_at } };
    case 'task_claim_released':
      return { ...next, claim: undefined };
    case 'task_transitioned':
      return { ...next, status: event.data.to };
    case 'task_execution_started':
      return { ...next, execution: { runId: event.data.run_id, pipelineId: event.data.pipeline_id, finished: false } };
    case 'task_execution_finished':
      return state.execution?.runId === event.data.run_id ? { ...next, execution: { ...state.execution, finished: true } } : next;
  }
}

/** The claim in force at `now` (an expired one is none). */
export function activeClaim(state: TaskState, now: Date): Claim | undefined {
  const claim = state.claim;
  if (claim === undefined) return undefined;
  if (claim.expiresAt !== null && Date.parse(claim.expiresAt) <= now.getTime()) return undefined;
  return claim;
}
