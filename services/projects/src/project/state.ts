import type { EventEnvelope, WorkflowPolicy } from '@cadre/proto';
import type { Edges } from '../graph';

/** One import of a planning output, as the project recorded it. */
export interface ImportRecord {
  readonly hash: string;
  readonly taskIds: readonly string[];
}

/** A project as its stream (`project-<id>`) folds: fields, vision, policy, dependency graph, imports. */
export interface ProjectState {
  readonly exists: boolean;
  readonly projectId: string;
  readonly owner: string | undefined;
  readonly name: string;
  readonly description: string;
  readonly repository: string | null;
  readonly defaultBranch: string;
  readonly defaultPipeline: string | null;
  readonly defaultAgents: readonly string[];
  readonly vision: string;
  readonly archived: boolean;
  /** The policy set through the API; undefined: the default one. */
  readonly policy: WorkflowPolicy | undefined;
  readonly edges: Edges;
  readonly imports: Readonly<Record<string, ImportRecord>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

export const NO_PROJECT: ProjectState = {
  exists: false, projectId: '', owner: undefined, name: '', description: '', repository: null, defaultBranch: 'main',
  defaultPipeline: null, defaultAgents: [], vision: '', archived: false, policy: undefined, edges: {}, imports: {},
  createdAt: '', updatedAt: '', version: 0,
};

type Data<T extends object> = Readonly<T & { project_id: string }>;
interface ProjectFieldsData { name?: string; description?: string; repository?: string | null; default_branch?: string; default_pipeline?: string | null; default_agents?: string[] }

/** An event of a project's stream as its decider sees it (with who owns it and when, from the envelope). */
export type ProjectEvent = (
  | { readonly type: 'project_created'; readonly data: Data<ProjectFieldsData & { name: string }> }
  | { readonly type: 'project_updated'; readonly data: Data<ProjectFieldsData> }
  | { readonly type: 'project_vision_updated'; readonly data: Data<{ vision: string }> }
  | { readonly type: 'project_archived'; readonly data: Data<{ archived: boolean }> }
  | { readonly type: 'workflow_policy_updated'; readonly data: Data<{ policy: WorkflowPolicy }> }
  | { readonly type: 'task_dependency_added'; readonly data: Data<{ task_id: string; depends_on: string }> }
  | { readonly type: 'task_dependency_removed'; readonly data: Data<{ task_id: string; depends_on: string }> }
  | { readonly type: 'tasks_imported'; readonly data: Data<{ import_id: string; request_hash: string; task_ids: string[]; run_id?: string }> }
) & { readonly owner?: string | undefined; readonly occurredAt?: string };

const TYPES = new Set<string>([
  'project_created', 'project_updated', 'project_vision_updated', 'project_archived', 'workflow_policy_updated',
  'task_dependency_added', 'task_dependency_removed', 'tasks_imported',
]);

export const projectStream = (projectId: string): string => `project-${projectId}`;

export function toProjectEvent(envelope: EventEnvelope): ProjectEvent | undefined {
  if (!TYPES.has(envelope.type)) return undefined;
  return { type: envelope.type, data: envelope.data, owner: envelope.meta.owner, occurredAt: envelope.occurredAt } as ProjectEvent;
}

function fields(state: ProjectState, d: ProjectFieldsData): ProjectState {
  return {
    ...state,
    ...(d.name !== undefined ? { name: d.name } : {}),
    ...(d.description !== undefined ? { description: d.description } : {}),
    ...(d.repository !== undefined ? { repository: d.repository } : {}),
    ...(d.default_branch !== undefined ? { defaultBranch: d.default_branch } : {}),
    ...(d.default_pipeline !== undefined ? { defaultPipeline: d.default_pipeline } : {}),
    ...(d.default_agents !== undefined ? { defaultAgents: d.default_agents } : {}),
  };
}

export function evolveProject(state: ProjectState, event: ProjectEvent): ProjectState {
  const at = event.occurredAt ?? state.updatedAt;
  const next = { ...state, version: state.version + 1, updatedAt: at };
  switch (event.type) {
    case 'project_created':
      return { ...fields(next, event.data), exists: true, projectId: event.data.project_id, owner: event.owner, createdAt: at };
    case 'project_updated':
      return fields(next, event.data);
    case 'project_vision_updated':
      return { ...next, vision: event.data.vision };
    case 'project_archived':
      return { ...next, archived: event.data.archived };
    case 'workflow_policy_updated':
      return { ...next, policy: event.data.policy };
    case 'task_dependency_added': {
      const current = state.edges[event.data.task_id] ?? [];
      return current.includes(event.data.depends_on) ? next : { ...next, edges: { ...state.edges, [event.data.task_id]: [...current, event.data.depends_on] } };
    }
    case 'task_dependency_removed': {
      const current = state.edges[event.data.task_id] ?? [];
      return { ...next, edges: { ...state.edges, [event.data.task_id]: current.filter((d) => d !== event.data.depends_on) } };
    }
    case 'tasks_imported':
      return { ...next, imports: { ...state.imports, [event.data.import_id]: { hash: event.data.request_hash, taskIds: event.data.task_ids } } };
  }
}
