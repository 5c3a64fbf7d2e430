import type { Decider } from '@cadre/eventstore';
import {
  ConflictError, DomainError, ForbiddenError, NotFoundError, TASK_CLAIMED, TASK_NOT_CLAIMED, TASK_RUNNING, TRANSITION_NOT_ALLOWED,
  type WorkflowPolicy,
} from '@cadre/proto';
import { movesFrom } from '../policy';
import {
  NO_TASK, activeClaim, evolveTask, toTaskEvent, type RunOutcome, type TaskEvent, type TaskFieldsData, type TaskState, type TransitionCause,
} from './state';

/** What can be asked of a task. The policy, time and who acts come in the command. */
export type TaskCommand =
  | {
      readonly kind: 'create'; readonly taskId: string; readonly projectId: string; readonly key: string;
      readonly fields: TaskFieldsData & { title: string }; readonly status: string;
      /** A task that exists already is left as it is (a retried import), rather than refused. */
      readonly ifAbsent?: boolean;
    }
  | { readonly kind: 'update'; readonly fields: TaskFieldsData }
  | { readonly kind: 'claim'; readonly holder: string; readonly now: Date; readonly ttlSeconds?: number | undefined }
  | {
      readonly kind: 'release'; readonly holder: string | undefined; readonly now: Date;
      /** Only a claim past its expiry (the sweeper's): one renewed meanwhile is left alone. */
      readonly onlyExpired?: boolean;
    }
  | { readonly kind: 'transition'; readonly to: string; readonly policy: WorkflowPolicy; readonly human: boolean; readonly reason?: string | undefined }
  | { readonly kind: 'start_execution'; readonly runId: string; readonly pipelineId: string; readonly policy: WorkflowPolicy }
  | { readonly kind: 'run_finished'; readonly runId: string; readonly outcome: RunOutcome; readonly policy: WorkflowPolicy };

/** What a command answers: for a run's end, whether the task knew the run. */
export type TaskResult = 'done' | 'unknown_run';

const notFound = () => new NotFoundError('task not found');

function refuseMove(state: TaskState, to: string, policy: WorkflowPolicy): never {
  const allowed = movesFrom(policy, state.status).map((m) => m.to);
  throw new DomainError(TRANSITION_NOT_ALLOWED, `the workflow does not allow ${state.status} → ${to}; allowed: ${allowed.length > 0 ? allowed.join(', ') : 'none'}`,
    { from: state.status, to, allowed });
}

function move(state: TaskState, to: string, cause: TransitionCause, extra: { run_id?: string; reason?: string } = {}): TaskEvent {
  return { type: 'task_transitioned', data: { project_id: state.projectId, task_id: state.taskId, from: state.status, to, cause, ...extra } };
}

/** The automatic move of a policy from the task's state, when there is one and the workflow allows it. */
function automaticMove(state: TaskState, policy: WorkflowPolicy, to: string | undefined): string | undefined {
  if (to === undefined || to === state.status) return undefined;
  return movesFrom(policy, state.status).some((m) => m.to === to) ? to : undefined;
}

export function decideTask(command: TaskCommand, state: TaskState): { events: TaskEvent[]; result: TaskResult } {
  const emit = (events: TaskEvent[], result: TaskResult = 'done') => ({ events, result });
  if (command.kind === 'create') {
    if (state.exists) {
      if (command.ifAbsent === true) return emit([]);
      throw new ConflictError('task already exists', { task_id: command.taskId });
    }
    return emit([{ type: 'task_created', data: { project_id: command.projectId, task_id: command.taskId, key: command.key, status: command.status, ...command.fields } }]);
  }
  if (!state.exists) throw notFound();
  const ref = { project_id: state.projectId, task_id: state.taskId };
  switch (command.kind) {
    case 'update': {
      const current: TaskFieldsData = {
        title: state.title, description: state.description, priority: state.priority, labels: [...state.labels],
        estimate: state.estimate, kind: state.kind, assignee: state.assignee,
      };
      const changes = Object.fromEntries(Object.entries(command.fields).filter(([name, value]) =>
        value !== undefined && JSON.stringify(value) !== JSON.stringify(current[name as keyof TaskFieldsData])));
      return emit(Object.keys(changes).length === 0 ? [] : [{ type: 'task_updated', data: { ...ref, ...changes } }]);
    }
    case 'claim': {
      const held = activeClaim(state, command.now);
      if (held !== undefined && held.holder !== command.holder) {
        throw new DomainError(TASK_CLAIMED, `task is claimed by ${held.holder}`, { holder: held.holder, claimed_at: held.claimedAt, expires_at: held.expiresAt });
      }
      const expired: TaskEvent[] = state.claim !== undefined && held === undefined
        ? [{ type: 'task_claim_released', data: { ...ref, holder: state.claim.holder, reason: 'expired' } }] : [];
      const expiresAt = command.ttlSeconds === undefined ? null : new Date(command.now.getTime() + command.ttlSeconds * 1000).toISOString();
      return emit([...expired, { type: 'task_claimed', data: { ...ref, holder: command.holder, claimed_at: command.now.toISOString(), expires_at: expiresAt } }]);
    }
    case 'release': {
      const held = activeClaim(state, command.now);
      if (state.claim !== undefined && held === undefined) {
        return emit([{ type: 'task_claim_released', data: { ...ref, holder: state.claim.holder, reason: 'expired' } }]);
      }
      if (command.onlyExpired === true) return emit([]);
      if (held === undefined) throw new DomainError(TASK_NOT_CLAIMED, 'task is not claimed', {});
      if (command.holder !== undefined && held.holder !== command.holder) {
        throw new DomainError(TASK_NOT_CLAIMED, `task is claimed by ${held.holder}, not ${command.holder}`, { holder: held.holder });
      }
      return emit([{ type: 'task_claim_released', data: { ...ref, holder: held.holder, reason: 'released' } }]);
    }
    case 'transition': {
      const { to, policy } = command;
      if (to === state.status) throw new ConflictError(`task is already ${to}`, { from: state.status, to, allowed: movesFrom(policy, state.status).map((m) => m.to) });
      const allowed = movesFrom(policy, state.status).find((m) => m.to === to);
      if (allowed === undefined) refuseMove(state, to, policy);
      if (allowed.requires_human && !command.human) throw new ForbiddenError(`${state.status} → ${to} needs a human`, { from: state.status, to });
      return emit([move(state, to, 'manual', command.reason !== undefined ? { reason: command.reason } : {})]);
    }
    case 'start_execution': {
      const { policy } = command;
      if (state.execution !== undefined && !state.execution.finished) {
        throw new DomainError(TASK_RUNNING, `run ${state.execution.runId} of the task has not finished`, { run_id: state.execution.runId });
      }
      const to = policy.automatic.execution_started;
      const moves = to === undefined || to === state.status ? [] : [to];
      for (const target of moves) if (!movesFrom(policy, state.status).some((m) => m.to === target)) refuseMove(state, target, policy);
      return emit([
        { type: 'task_execution_started', data: { ...ref, run_id: command.runId, pipeline_id: command.pipelineId } },
        ...moves.map((target) => move(state, target, 'execution_started', { run_id: command.runId })),
      ]);
    }
    case 'run_finished': {
      const execution = state.execution;
      if (execution === undefined || execution.runId !== command.runId) return emit([], 'unknown_run');
      if (execution.finished) return emit([]);
      const target = automaticMove(state, command.policy, command.policy.automatic[`run_${command.outcome}`]);
      return emit([
        { type: 'task_execution_finished', data: { ...ref, run_id: command.runId, outcome: command.outcome } },
        ...(target !== undefined ? [move(state, target, `run_${command.outcome}`, { run_id: command.runId })] : []),
      ]);
    }
  }
}

/** One task's stream: its fields, state on the board, claim and last run. */
export const taskDecider: Decider<TaskCommand, TaskState, TaskEvent, TaskResult> = {
  initialState: NO_TASK, decide: decideTask, evolve: evolveTask, fromEnvelope: toTaskEvent,
};
