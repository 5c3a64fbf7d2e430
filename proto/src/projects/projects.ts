import { SwarmLaunch } from '../swarms/swarms';
import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';
import {
  Label, ProjectFields, ProjectId, ProjectView, StateId, TaskFields, TaskId, TaskKey, TaskView, WorkflowPolicy,
} from './schemas';

// Projects, their boards and workflow policies (seed 002, "Projects", "Workflow Policies"),
// answered by the projects service.

const ProjectRef = z.object({ project_id: ProjectId });
const TaskRef = ProjectRef.extend({ task_id: TaskId });
const Dependencies = z.array(TaskId).max(100).describe('Ids of tasks (of the same project) this one depends on');

export const projectCreate = defineCommand({
  domain: 'projects', name: 'create', description: 'Create a project', request: ProjectFields, reply: ProjectView,
});

export const projectList = defineQuery({
  domain: 'projects', name: 'list', description: 'List projects (archived ones with ?archived=true)',
  request: z.object({
    archived: z.enum(['true', 'false', 'all']).default('false').describe('Archived projects only, live ones only, or all'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  }),
  reply: z.object({ projects: z.array(ProjectView), total: z.number().int().nonnegative() }),
});

export const projectGet = defineQuery({
  domain: 'projects', name: 'get', description: 'Get a project', request: ProjectRef, reply: ProjectView,
});

export const projectUpdate = defineCommand({
  domain: 'projects', name: 'update', description: 'Change fields of a project (those given)',
  request: ProjectRef.extend(z.object({
    name: ProjectFields.shape.name.optional(),
    description: z.string().max(20_000).optional(),
    repository: ProjectFields.shape.repository.unwrap().unwrap().nullable().optional(),
    default_branch: ProjectFields.shape.default_branch.unwrap().optional(),
    default_pipeline: ProjectFields.shape.default_pipeline.unwrap().unwrap().nullable().optional(),
    default_agents: ProjectFields.shape.default_agents.unwrap().optional(),
  }).shape),
  reply: ProjectView,
});

export const projectVision = defineCommand({
  domain: 'projects', name: 'vision', description: 'Set the project vision (markdown)',
  request: ProjectRef.extend({ vision: z.string().max(200_000) }), reply: ProjectView,
});

export const projectArchive = defineCommand({
  domain: 'projects', name: 'archive', description: 'Archive a project (or bring it back with archived: false); nothing is deleted',
  request: ProjectRef.extend({ archived: z.boolean().default(true) }), reply: ProjectView,
});

export const workflowPolicyGet = defineQuery({
  domain: 'projects', name: 'policy', description: "Get a project's workflow policy",
  request: ProjectRef, reply: z.object({ project_id: z.string(), policy: WorkflowPolicy, custom: z.boolean().describe('false: the default policy') }),
});

export const workflowPolicySet = defineCommand({
  domain: 'projects', name: 'set_policy', description: "Replace a project's workflow policy",
  request: ProjectRef.extend({ policy: WorkflowPolicy }), reply: workflowPolicyGet.reply,
});

export const taskCreate = defineCommand({
  domain: 'projects', name: 'task_create', description: 'Add a task to a project',
  request: ProjectRef.extend({ ...TaskFields.shape, key: TaskKey.optional(), dependencies: Dependencies.default([]) }),
  reply: TaskView,
});

const TaskCursor = z.string().max(500);

export const taskList = defineQuery({
  domain: 'projects', name: 'tasks', description: "List a project's tasks (filtered, paginated)",
  request: ProjectRef.extend({
    status: StateId.optional(),
    assignee: z.string().min(1).max(200).optional(),
    label: Label.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: TaskCursor.optional().describe('next_cursor of the previous page'),
  }),
  reply: z.object({ tasks: z.array(TaskView), total: z.number().int().nonnegative(), next_cursor: z.string().nullable() }),
});

export const taskGet = defineQuery({
  domain: 'projects', name: 'task', description: 'Get a task', request: TaskRef, reply: TaskView,
});

export const taskUpdate = defineCommand({
  domain: 'projects', name: 'task_update', description: 'Change fields of a task (those given); dependencies replace the list',
  request: TaskRef.extend({
    title: TaskFields.shape.title.optional(),
    description: z.string().max(50_000).optional(),
    priority: TaskFields.shape.priority.unwrap().optional(),
    labels: TaskFields.shape.labels.unwrap().optional(),
    estimate: TaskFields.shape.estimate.unwrap().unwrap().nullable().optional(),
    kind: TaskFields.shape.kind.unwrap().unwrap().nullable().optional(),
    assignee: TaskFields.shape.assignee.unwrap().unwrap().nullable().optional(),
    dependencies: Dependencies.optional(),
  }),
  reply: TaskView,
});

export const taskClaim = defineCommand({
  domain: 'projects', name: 'task_claim', description: 'Claim a task: one claimant holds it until release or expiry; others get 409',
  request: TaskRef.extend({
    agent_id: z.string().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/).optional().describe('Claim for this agent (else for the caller)'),
    ttl_seconds: z.number().int().min(1).max(7 * 24 * 3600).optional().describe('The claim expires after this long (default: never)'),
  }),
  reply: TaskView,
});

export const taskRelease = defineCommand({
  domain: 'projects', name: 'task_release', description: 'Release the claim on a task (its holder, or the owner)',
  request: TaskRef.extend({ agent_id: z.string().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/).optional() }),
  reply: TaskView,
});

export const taskTransition = defineCommand({
  domain: 'projects', name: 'task_transition', description: "Move a task to another state, along the project's workflow only",
  request: TaskRef.extend({
    to: StateId,
    reason: z.string().max(2_000).optional(),
    agent_id: z.string().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/).optional().describe('An agent makes the move (moves that need a human are refused)'),
  }),
  reply: TaskView,
});

/** What a task would go through, without starting anything. */
export const WorkflowResolution = z.object({
  task_id: z.string(),
  status: z.string(),
  pipeline_id: z.string().nullable().describe('null: no route matches and the project names no default pipeline'),
  matched: z.string().describe('label:<l>, kind:<k>, project default, or none'),
  agents: z.array(z.string()),
  steps: z.array(z.object({ id: z.string(), agent: z.string().nullable() })),
  next_states: z.array(z.object({ to: z.string(), requires_human: z.boolean() })),
  on_start: z.string().nullable(),
  on_complete: z.string().nullable(),
  on_failure: z.string().nullable(),
});

export const taskResolveWorkflow = defineQuery({
  domain: 'projects', name: 'resolve_workflow', description: 'The pipeline, steps and next states a task would take',
  request: TaskRef, reply: WorkflowResolution,
});

export const taskExecute = defineCommand({
  domain: 'projects', name: 'task_execute', description: "Start a run of the task's resolved pipeline; the run's events move the task",
  request: TaskRef.extend({
    pipeline_id: z.string().min(1).max(100).optional().describe('Run this pipeline rather than the resolved one'),
    human_context: z.string().max(100_000).optional(),
  }),
  reply: z.object({ task: TaskView, run_id: z.string(), pipeline_id: z.string() }),
});

export const ImportedTask = z.object({
  key: TaskKey.describe('Key of the task in the planning output; dependencies name these keys'),
  ...TaskFields.shape,
  dependencies: z.array(TaskKey).max(100).default([]),
});

export const taskImport = defineCommand({
  domain: 'projects', name: 'task_import', description: 'Import a planning output as tasks with their dependencies (Idempotency-Key: once)',
  request: ProjectRef.extend({
    tasks: z.array(ImportedTask).min(1).max(1_000).optional().describe('The tasks; without them, those of the run named by run_id'),
    run_id: z.string().min(1).max(200).optional()
      .describe("The planning run the tasks come from; without tasks, its outputs are read: a step output `tasks` (or `items`) listing objects with a title"),
  }),
  reply: z.object({ import_id: z.string(), replayed: z.boolean().describe('true: an earlier request with this key did the import'), tasks: z.array(TaskView) }),
});

export const projectSwarmExecute = defineCommand({
  domain: 'projects', name: 'swarm_execute', description: "Launch a swarm of tasks built from their dependency edges",
  request: ProjectRef.extend({
    // The swarms service's own limits (500 tasks, 64 at a time).
    task_ids: z.array(TaskId).min(1).max(500),
    agent_id: z.string().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/),
    max_concurrent: z.number().int().min(1).max(64).default(3),
  }),
  reply: SwarmLaunch,
});
