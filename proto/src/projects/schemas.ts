import { z } from 'zod';

// Shapes of projects, tasks and workflow policies (seed 002, "Projects", "Workflow Policies").

/** Ids the service makes (UUIDs): anything else in a path is a 400, an unknown one a 404. */
export const ProjectId = z.uuid({ error: 'expected a project id (UUID)' });
export const TaskId = z.uuid({ error: 'expected a task id (UUID)' });

const GIT_URL = /^(?:(?:https?|ssh|git|file):\/\/\S+|[\w.-]+@[\w.-]+:\S+)$/;
/** A git URL (https, ssh, git, file, or scp-like `git@host:path`) or an absolute server-side path. */
export const Repository = z.string().max(2_000)
  .refine((value) => GIT_URL.test(value) || (value.startsWith('/') && !value.includes('\0') && !/(^|\/)\.\.(\/|$)/.test(value)),
    'expected a git URL (https://, ssh://, git@host:path) or an absolute server-side path');
// git check-ref-format's rules: no spaces, control characters, ~^:?*[\, '..', '//', '@{'; not ending in '/', '.', '.lock'.
const BranchName = z.string().min(1).max(200)
  .regex(/^(?!\/|.*\/\/|.*\.\.|.*@\{)[^\s~^:?*[\\]+(?<!\/|\.lock|\.)$/, 'expected a git branch name')
  .refine((value) => ![...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), 'expected a git branch name');
const PipelineRef = z.string().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/, 'expected a pipeline id');
const AgentRef = z.string().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/, 'expected an agent id');

/** What a project holds besides its board. */
export const ProjectFields = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(20_000).default(''),
  repository: Repository.nullable().default(null).describe('A git URL or a server-side path'),
  default_branch: BranchName.default('main'),
  default_pipeline: PipelineRef.nullable().default(null).describe('Pipeline a task runs when no route of the policy matches it'),
  default_agents: z.array(AgentRef).max(20).default([]).describe('Agents a task goes to when no route names others'),
});

export const Priority = z.enum(['P0', 'P1', 'P2', 'P3']);
export const Label = z.string().min(1).max(50).regex(/^[A-Za-z0-9_.:/-]+$/, 'expected a label of letters, digits and _.:/-');
export const TaskKey = z.string().min(1).max(50).regex(/^[A-Za-z0-9_.-]+$/, 'expected a key of letters, digits and _.-');

/** What a task holds besides its state, claim and dependencies. */
export const TaskFields = z.object({
  title: z.string().trim().min(1).max(500),
  description: z.string().max(50_000).default(''),
  priority: Priority.default('P2'),
  labels: z.array(Label).max(20).default([]),
  estimate: z.number().nonnegative().max(100_000).nullable().default(null).describe('Points or hours, as the team counts'),
  kind: z.string().min(1).max(50).regex(/^[a-z0-9_-]+$/, 'expected a kind of lower-case letters, digits, _ and -').nullable().default(null)
    .describe('feature, bug, chore, … (routes of the policy match on it)'),
  assignee: z.string().min(1).max(200).nullable().default(null).describe('Agent or user the task is meant for'),
});

export const StateId = z.string().min(1).max(40).regex(/^[a-z][a-z0-9_]*$/, 'expected a state id of lower-case letters, digits and _');

/** A workflow policy: the board's states and moves, where tasks run, and the moves runs make. */
export const WorkflowPolicy = z.object({
  states: z.array(StateId).min(1).max(30),
  initial_state: StateId,
  transitions: z.array(z.object({
    from: StateId,
    to: StateId,
    requires_human: z.boolean().default(false).describe('Only a signed-in user (not an agent or the engine) may make this move'),
  })).max(500),
  routes: z.array(z.object({
    label: Label.optional(),
    kind: z.string().min(1).max(50).optional(),
    pipeline_id: PipelineRef,
    agents: z.array(AgentRef).max(20).default([]),
  })).max(100).default([]).describe('First route whose label (or kind) the task has decides its pipeline'),
  automatic: z.object({
    execution_started: StateId.optional().describe('Where a task goes when a run of it starts'),
    run_complete: StateId.optional().describe('Where a task goes when its run completes'),
    run_failed: StateId.optional().describe('Where a task goes when its run fails'),
    run_cancelled: StateId.optional().describe('Where a task goes when its run is cancelled'),
  }).default({}),
}).superRefine((policy, ctx) => {
  const states = new Set(policy.states);
  if (states.size !== policy.states.length) ctx.addIssue({ code: 'custom', path: ['states'], message: 'states must be unique' });
  const known = (state: string, path: Array<string | number>) => {
    if (!states.has(state)) ctx.addIssue({ code: 'custom', path, message: `'${state}' is not one of the states` });
  };
  known(policy.initial_state, ['initial_state']);
  policy.transitions.forEach((t, i) => {
    known(t.from, ['transitions', i, 'from']);
    known(t.to, ['transitions', i, 'to']);
  });
  policy.routes.forEach((r, i) => {
    if (r.label === undefined && r.kind === undefined) ctx.addIssue({ code: 'custom', path: ['routes', i], message: 'a route names a label or a kind' });
  });
  for (const [name, state] of Object.entries(policy.automatic)) if (state !== undefined) known(state, ['automatic', name]);
});
export type WorkflowPolicy = z.infer<typeof WorkflowPolicy>;

/** The policy of a project that never set one. */
export const DEFAULT_WORKFLOW_POLICY: WorkflowPolicy = Object.freeze({
  states: ['backlog', 'ready', 'in_progress', 'review', 'blocked', 'done'],
  initial_state: 'backlog',
  transitions: [
    ['backlog', 'ready'], ['ready', 'backlog'], ['backlog', 'in_progress'], ['ready', 'in_progress'],
    ['in_progress', 'review'], ['in_progress', 'blocked'], ['in_progress', 'ready'],
    ['blocked', 'ready'], ['blocked', 'in_progress'], ['review', 'in_progress'], ['review', 'blocked'],
  ].map(([from, to]) => ({ from: from as string, to: to as string, requires_human: false }))
    .concat([{ from: 'review', to: 'done', requires_human: true }, { from: 'done', to: 'ready', requires_human: true }]),
  routes: [],
  automatic: { execution_started: 'in_progress', run_complete: 'review', run_failed: 'blocked', run_cancelled: 'ready' },
}) as WorkflowPolicy;

const Time = z.string().describe('ISO 8601');

export const ProjectView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  repository: z.string().nullable(),
  default_branch: z.string(),
  default_pipeline: z.string().nullable(),
  default_agents: z.array(z.string()),
  vision: z.string(),
  archived: z.boolean(),
  owner: z.string().nullable(),
  created_at: Time,
  updated_at: Time,
  version: z.number().int().nonnegative(),
});
export type ProjectView = z.infer<typeof ProjectView>;

export const ClaimView = z.object({ holder: z.string(), claimed_at: Time, expires_at: Time.nullable() });

export const TaskView = z.object({
  id: z.string(),
  project_id: z.string(),
  key: z.string(),
  title: z.string(),
  description: z.string(),
  priority: Priority,
  labels: z.array(z.string()),
  estimate: z.number().nullable(),
  kind: z.string().nullable(),
  assignee: z.string().nullable(),
  status: z.string(),
  dependencies: z.array(z.string()).describe('Ids of the tasks this one depends on'),
  claim: ClaimView.nullable().describe('The claim in force (an expired one is shown as none)'),
  run_id: z.string().nullable().describe('The last run started for the task from the board'),
  created_at: Time,
  updated_at: Time,
  version: z.number().int().nonnegative(),
});
export type TaskView = z.infer<typeof TaskView>;
