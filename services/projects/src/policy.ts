import { DEFAULT_WORKFLOW_POLICY, type WorkflowPolicy } from '@cadre/proto';
import type { ProjectState } from './project/state';
import type { TaskState } from './task/state';

/** The policy a project's board follows: its own, else the default. */
export function policyOf(project: Pick<ProjectState, 'policy'>): WorkflowPolicy {
  return project.policy ?? DEFAULT_WORKFLOW_POLICY;
}

/** The moves the policy allows from a state. */
export function movesFrom(policy: WorkflowPolicy, from: string): Array<{ to: string; requires_human: boolean }> {
  return policy.transitions.filter((t) => t.from === from).map((t) => ({ to: t.to, requires_human: t.requires_human }));
}

/** Where a task runs: the first route matching one of its labels (or its kind), else the project's defaults. */
export function routeOf(policy: WorkflowPolicy, project: Pick<ProjectState, 'defaultPipeline' | 'defaultAgents'>, task: Pick<TaskState, 'labels' | 'kind'>): {
  readonly pipelineId: string | null; readonly agents: readonly string[]; readonly matched: string;
} {
  for (const route of policy.routes) {
    if (route.label !== undefined && task.labels.includes(route.label)) return { pipelineId: route.pipeline_id, agents: route.agents.length > 0 ? route.agents : project.defaultAgents, matched: `label:${route.label}` };
    if (route.kind !== undefined && task.kind === route.kind) return { pipelineId: route.pipeline_id, agents: route.agents.length > 0 ? route.agents : project.defaultAgents, matched: `kind:${route.kind}` };
  }
  return project.defaultPipeline !== null
    ? { pipelineId: project.defaultPipeline, agents: project.defaultAgents, matched: 'project default' }
    : { pipelineId: null, agents: project.defaultAgents, matched: 'none' };
}
