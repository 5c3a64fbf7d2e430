import type { Pipeline } from '@cadre/pipelines';
import type { RunHistoryEntry, RunView, StepView } from '@cadre/proto';
import type { z } from 'zod';
import { activeAttempt, latestAttempt, type RunState, type StepAttempt } from '../run/state';

/** The steps of a run: each step's latest attempt, in pipeline order, never-run ones pending. */
export function presentSteps(state: RunState, pipeline: Pipeline | undefined): StepView[] {
  const order = pipeline?.steps.map((s) => s.id) ?? [];
  for (const a of state.attempts) if (!order.includes(a.stepId)) order.push(a.stepId);
  return order.map((stepId) => {
    const last = latestAttempt(state, stepId);
    const agent = pipeline?.steps.find((s) => s.id === stepId)?.agent;
    return last === undefined ? pendingStep(state.runId, stepId, agent) : presentAttempt(state, last);
  });
}

function pendingStep(runId: string, stepId: string, agentId: string | undefined): StepView {
  return {
    run_id: runId, step_id: stepId, status: 'pending', agent_id: agentId ?? null, attempt: 0, retry_count: 0,
    loop_index: null, loop_count: null, outputs: {}, error: null, feedback: null, queued_at: null, started_at: null, completed_at: null,
  };
}

/** One attempt as the step's view. */
export function presentAttempt(state: RunState, a: StepAttempt): StepView {
  return {
    // A queued attempt with feedback is a retry waiting for an agent: the step is `retrying`.
    run_id: state.runId, step_id: a.stepId, status: a.status === 'queued' && a.feedback !== undefined ? 'retrying' : a.status, agent_id: a.agentId ?? null, attempt: a.attempt,
    retry_count: state.retries[a.stepId] ?? 0, loop_index: a.loop?.index ?? null, loop_count: a.loop?.count ?? null,
    outputs: { ...(a.outputs ?? {}) }, error: a.error ?? null, feedback: a.feedback ?? null,
    queued_at: a.queuedAt, started_at: a.startedAt ?? null, completed_at: a.finishedAt ?? null,
  };
}

/** The run as the API shows it (with its steps when `pipeline` is given or `withSteps`). */
export function presentRun(state: RunState, pipeline: Pipeline | undefined, withSteps: boolean): RunView {
  const current = activeAttempt(state) ?? state.attempts.at(-1);
  return {
    id: state.runId, pipeline_id: state.pipelineId, status: state.status, task_description: state.taskDescription,
    human_context: state.humanContext ?? null, project_name: state.projectName ?? null, project_id: state.projectId ?? null,
    task_id: state.taskId ?? null, current_step_id: current?.stepId ?? null,
    outputs: Object.fromEntries(Object.entries(state.outputs).map(([k, v]) => [k, { ...v }])),
    error: state.error ?? null, created_at: state.createdAt, updated_at: state.updatedAt, completed_at: state.finishedAt ?? null,
    version: state.version,
    ...(state.swarmId !== undefined ? { swarm_id: state.swarmId } : {}),
    ...(withSteps ? { steps: presentSteps(state, pipeline) } : {}),
  };
}

/** Every attempt as a run-history entry. */
export function presentHistory(state: RunState): z.infer<typeof RunHistoryEntry>[] {
  return state.attempts.map((a) => ({
    run_id: state.runId, step_id: a.stepId, attempt: a.attempt, pipeline_id: state.pipelineId, agent_id: a.agentId ?? null,
    status: a.status, project_name: state.projectName ?? null, project_id: state.projectId ?? null, task_id: state.taskId ?? null,
    error: a.error ?? null, queued_at: a.queuedAt, started_at: a.startedAt ?? null, completed_at: a.finishedAt ?? null,
  }));
}
