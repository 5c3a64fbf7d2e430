import type { ProjectView, TaskView } from '@cadre/proto';
import type { ProjectState } from '../project/state';
import { activeClaim, type TaskState } from '../task/state';

export function presentProject(state: ProjectState): ProjectView {
  return {
    id: state.projectId, name: state.name, description: state.description, repository: state.repository, default_branch: state.defaultBranch,
    default_pipeline: state.defaultPipeline, default_agents: [...state.defaultAgents], vision: state.vision, archived: state.archived,
    owner: state.owner ?? null, created_at: state.createdAt, updated_at: state.updatedAt, version: state.version,
  };
}

/** A task as stored in its row: everything but its dependencies (kept from the project's stream) and with its claim as recorded. */
export function taskBody(state: TaskState): Omit<TaskView, 'dependencies'> {
  return {
    id: state.taskId, project_id: state.projectId, key: state.key, title: state.title, description: state.description, priority: state.priority,
    labels: [...state.labels], estimate: state.estimate, kind: state.kind, assignee: state.assignee, status: state.status,
    claim: state.claim === undefined ? null : { holder: state.claim.holder, claimed_at: state.claim.claimedAt, expires_at: state.claim.expiresAt },
    run_id: state.execution?.runId ?? null, created_at: state.createdAt, updated_at: state.updatedAt, version: state.version,
  };
}

/** A stored task as the API shows it at `now`: an expired claim is no claim. */
export function presentTask(body: Omit<TaskView, 'dependencies'>, dependencies: readonly string[], now: Date): TaskView {
  const claim = body.claim;
  const expired = claim !== null && claim.expires_at !== null && Date.parse(claim.expires_at) <= now.getTime();
  return { ...body, claim: expired ? null : claim, dependencies: [...dependencies] };
}

export function presentTaskState(state: TaskState, dependencies: readonly string[], now: Date): TaskView {
  const view = presentTask(taskBody(state), dependencies, now);
  return activeClaim(state, now) === undefined ? { ...view, claim: null } : view;
}
