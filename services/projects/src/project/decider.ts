import type { Decider } from '@cadre/eventstore';
import {
  ConflictError, DEPENDENCY_CYCLE, DomainError, IDEMPOTENCY_KEY_REUSED, NotFoundError, PROJECT_ARCHIVED, type WorkflowPolicy,
} from '@cadre/proto';
import { dependencyCycles, withDependencies, type Edges } from '../graph';
import { NO_PROJECT, evolveProject, toProjectEvent, type ProjectEvent, type ProjectState } from './state';

type Fields = {
  name?: string; description?: string; repository?: string | null; default_branch?: string; default_pipeline?: string | null; default_agents?: string[];
};

/** What can be asked of a project. Keys of tasks (for messages) come in the command, looked up by the handler. */
export type ProjectCommand =
  | { readonly kind: 'create'; readonly projectId: string; readonly fields: Fields & { name: string } }
  | { readonly kind: 'update'; readonly fields: Fields }
  | { readonly kind: 'vision'; readonly vision: string }
  | { readonly kind: 'archive'; readonly archived: boolean }
  | { readonly kind: 'set_policy'; readonly policy: WorkflowPolicy }
  | { readonly kind: 'set_dependencies'; readonly taskId: string; readonly dependsOn: readonly string[]; readonly keys: Readonly<Record<string, string>> }
  | {
      readonly kind: 'import'; readonly importId: string; readonly hash: string; readonly runId?: string | undefined;
      /** The imported tasks' ids with their dependencies (ids), in request order. */
      readonly tasks: ReadonlyArray<{ readonly taskId: string; readonly dependsOn: readonly string[] }>;
      readonly keys: Readonly<Record<string, string>>;
    };

/** What a command answers: `replayed` for an import done before under the same key. */
export interface ProjectResult {
  readonly replayed?: boolean;
}

const notFound = () => new NotFoundError('project not found');

/** The refusal of a cycle, naming the keys of the tasks on it (ids where a key is not known). */
export function cycleError(cycles: ReadonlyArray<readonly string[]>, keys: Readonly<Record<string, string>>): DomainError {
  const named = cycles.map((cycle) => cycle.map((id) => keys[id] ?? id));
  return new DomainError(DEPENDENCY_CYCLE, `a dependency cycle is refused: ${named.map((c) => c.join(', ')).join('; ')}`, { cycles: named, task_ids: cycles });
}

function refuseCycles(edges: Edges, keys: Readonly<Record<string, string>>): void {
  const cycles = dependencyCycles(edges);
  if (cycles.length === 0) return;
  throw cycleError(cycles, keys);
}

function changedFields(state: ProjectState, fields: Fields): Fields {
  const current: Fields = {
    name: state.name, description: state.description, repository: state.repository, default_branch: state.defaultBranch,
    default_pipeline: state.defaultPipeline, default_agents: [...state.defaultAgents],
  };
  return Object.fromEntries(Object.entries(fields).filter(([name, value]) =>
    value !== undefined && JSON.stringify(value) !== JSON.stringify(current[name as keyof Fields]))) as Fields;
}

export function decideProject(command: ProjectCommand, state: ProjectState): { events: ProjectEvent[]; result: ProjectResult } {
  const project_id = state.projectId;
  const emit = (events: ProjectEvent[], result: ProjectResult = {}) => ({ events, result });
  if (command.kind === 'create') {
    if (state.exists) throw new ConflictError('project already exists', { project_id: command.projectId });
    return emit([{ type: 'project_created', data: { project_id: command.projectId, ...command.fields } }]);
  }
  if (!state.exists) throw notFound();
  if (command.kind === 'archive') {
    return emit(state.archived === command.archived ? [] : [{ type: 'project_archived', data: { project_id, archived: command.archived } }]);
  }
  if (state.archived) throw new DomainError(PROJECT_ARCHIVED, 'the project is archived: bring it back (archived: false) to change it', { project_id });
  switch (command.kind) {
    case 'update': {
      const changes = changedFields(state, command.fields);
      return emit(Object.keys(changes).length === 0 ? [] : [{ type: 'project_updated', data: { project_id, ...changes } }]);
    }
    case 'vision':
      return emit(command.vision === state.vision ? [] : [{ type: 'project_vision_updated', data: { project_id, vision: command.vision } }]);
    case 'set_policy':
      return emit([{ type: 'workflow_policy_updated', data: { project_id, policy: command.policy } }]);
    case 'set_dependencies': {
      const { taskId, dependsOn } = command;
      refuseCycles(withDependencies(state.edges, taskId, dependsOn), command.keys);
      const current = state.edges[taskId] ?? [];
      const wanted = [...new Set(dependsOn)];
      return emit([
        ...current.filter((d) => !wanted.includes(d)).map((d): ProjectEvent => ({ type: 'task_dependency_removed', data: { project_id, task_id: taskId, depends_on: d } })),
        ...wanted.filter((d) => !current.includes(d)).map((d): ProjectEvent => ({ type: 'task_dependency_added', data: { project_id, task_id: taskId, depends_on: d } })),
      ]);
    }
    case 'import': {
      const done = state.imports[command.importId];
      if (done !== undefined) {
        if (done.hash !== command.hash) {
          throw new DomainError(IDEMPOTENCY_KEY_REUSED, 'this Idempotency-Key was used with a different import request', { import_id: command.importId });
        }
        return emit([], { replayed: true });
      }
      let edges = state.edges;
      for (const task of command.tasks) edges = withDependencies(edges, task.taskId, task.dependsOn);
      refuseCycles(edges, command.keys);
      return emit([
        {
          type: 'tasks_imported',
          data: {
            project_id, import_id: command.importId, request_hash: command.hash, task_ids: command.tasks.map((t) => t.taskId),
            ...(command.runId !== undefined ? { run_id: command.runId } : {}),
          },
        },
        ...command.tasks.flatMap((task) => [...new Set(task.dependsOn)].map((d): ProjectEvent => ({ type: 'task_dependency_added', data: { project_id, task_id: task.taskId, depends_on: d } }))),
      ], { replayed: false });
    }
  }
}

/** One project's stream: its fields, policy, dependency graph and imports. */
export const projectDecider: Decider<ProjectCommand, ProjectState, ProjectEvent, ProjectResult> = {
  initialState: NO_PROJECT, decide: decideProject, evolve: evolveProject, fromEnvelope: toProjectEvent,
};
