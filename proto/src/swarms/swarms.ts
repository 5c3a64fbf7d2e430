import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';
import { AgentId as AgentIdFormat } from '../agents/schemas';
import { ModelName, SwarmSummary, SwarmTaskSpec } from './events';

// Swarms (seed 002 "Swarm Execution" and "Spawn Executor"; seed 000 "POST /api/plan" for plan
// then execute), answered by the swarms service.

/** What one swarm may hold: far beyond the anchor's 20 tasks and 8 at a time. */
export const SWARM_LIMITS = {
  maxTasks: 500,
  maxConcurrent: 64,
  minGlobalTimeoutSeconds: 10,
  maxGlobalTimeoutSeconds: 86_400,
} as const;

export const SwarmStatus = z.enum(['running', 'completed', 'failed', 'cancelled']);
export type SwarmStatus = z.infer<typeof SwarmStatus>;

export const SwarmTaskStatus = z.enum(['pending', 'ready', 'running', 'retrying', 'completed', 'failed', 'skipped', 'cancelled']);
export type SwarmTaskStatus = z.infer<typeof SwarmTaskStatus>;

const Id = z.string().min(1).max(200);
const Time = z.string().describe('ISO 8601');
const AgentId = AgentIdFormat.describe('The agent that does every task');

/** The launch request (the projects service sends swarms built from its task board here too). */
export const SwarmLaunchRequest = z.object({
  agent_id: AgentId,
  tasks: z.array(SwarmTaskSpec).min(1).max(SWARM_LIMITS.maxTasks),
  max_concurrent: z.number().int().min(1).max(SWARM_LIMITS.maxConcurrent).default(3).describe('Tasks running at once, across all replicas'),
  deviation_rules: z.string().max(20_000).default('').describe('Rules every task\'s agent must follow'),
  global_timeout_seconds: z.number().int().min(SWARM_LIMITS.minGlobalTimeoutSeconds).max(SWARM_LIMITS.maxGlobalTimeoutSeconds).default(1800),
});
export type SwarmLaunchRequest = z.infer<typeof SwarmLaunchRequest>;

/** The answer to a launch. */
export const SwarmLaunch = z.object({
  swarm_id: z.string(),
  status: SwarmStatus,
  total_tasks: z.number().int().positive(),
  max_concurrent: z.number().int().positive(),
  root_tasks: z.array(z.string()).describe('Keys of the tasks with no dependency'),
  max_depth: z.number().int().positive().describe('Tasks on the longest dependency chain'),
});
export type SwarmLaunch = z.infer<typeof SwarmLaunch>;

/** Task counts by state. */
export const SwarmProgress = z.object(Object.fromEntries(SwarmTaskStatus.options.map((s) => [s, z.number().int().nonnegative()])) as Record<SwarmTaskStatus, z.ZodNumber>);

/** A swarm as the API shows it. */
export const SwarmView = z.object({
  swarm_id: z.string(),
  agent_id: z.string(),
  status: SwarmStatus,
  total_tasks: z.number().int().nonnegative(),
  max_concurrent: z.number().int().positive(),
  root_tasks: z.array(z.string()),
  max_depth: z.number().int().nonnegative(),
  progress: SwarmProgress,
  summary: SwarmSummary,
  error: z.string().nullable(),
  goal: z.string().nullable(),
  deadline: Time,
  created_at: Time,
  updated_at: Time,
  completed_at: Time.nullable(),
});
export type SwarmView = z.infer<typeof SwarmView>;

/** One task of a swarm. */
export const SwarmTaskView = z.object({
  key: z.string(),
  title: z.string(),
  status: SwarmTaskStatus,
  dependencies: z.array(z.string()),
  always_run: z.boolean(),
  attempts: z.number().int().nonnegative(),
  max_retries: z.number().int().nonnegative(),
  run_id: z.string().nullable().describe('Run of the latest attempt'),
  run_ids: z.array(z.string()).describe('Runs of every attempt, oldest first'),
  outputs: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  skip_reason: z.string().nullable(),
  retry_at: Time.nullable(),
  started_at: Time.nullable(),
  completed_at: Time.nullable(),
  duration_ms: z.number().nonnegative().nullable(),
});
export type SwarmTaskView = z.infer<typeof SwarmTaskView>;

/** A swarm in a list. */
export const SwarmListItem = SwarmView.omit({ summary: true });
export type SwarmListItem = z.infer<typeof SwarmListItem>;

const SwarmRef = z.object({ swarm_id: Id });

export const swarmExecute = defineCommand({
  domain: 'swarms', name: 'execute', description: 'Launch a swarm: a DAG of tasks for one agent',
  request: SwarmLaunchRequest, reply: SwarmLaunch,
});

export const swarmGet = defineQuery({
  domain: 'swarms', name: 'get', description: 'Get a swarm: state, progress, summary', request: SwarmRef, reply: SwarmView,
});

export const swarmTasks = defineQuery({
  domain: 'swarms', name: 'tasks', description: 'List the tasks of a swarm',
  request: SwarmRef, reply: z.object({ swarm_id: z.string(), tasks: z.array(SwarmTaskView) }),
});

export const swarmList = defineQuery({
  domain: 'swarms', name: 'list', description: 'List swarms, newest first',
  request: z.object({
    status: SwarmStatus.optional(),
    agent_id: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
  }),
  reply: z.object({ swarms: z.array(SwarmListItem), total: z.number().int().nonnegative() }),
});

export const swarmCancel = defineCommand({
  domain: 'swarms', name: 'cancel', description: 'Cancel a swarm: running tasks are aborted, nothing more starts',
  request: SwarmRef.extend({ reason: z.string().max(1_000).optional() }), reply: SwarmView,
});

export const swarmRetry = defineCommand({
  domain: 'swarms', name: 'retry', description: 'Run the failed, skipped and cancelled tasks of a finished swarm again, keeping completed outputs',
  request: SwarmRef, reply: SwarmView,
});

/** A task graph a planning agent proposed, validated as a launch would be. */
export const SwarmPlanGraph = z.object({
  tasks: z.array(SwarmTaskSpec),
  root_tasks: z.array(z.string()),
  max_depth: z.number().int().positive(),
});

export const swarmPlan = defineCommand({
  domain: 'swarms', name: 'plan', description: 'Plan a goal into a task graph with an agent, and optionally launch it',
  request: z.object({
    goal: z.string().min(1).max(20_000),
    agent_id: AgentId.describe('The agent that plans and (with execute) does the tasks'),
    execute: z.boolean().default(false),
    model: ModelName.optional().describe('provider/model of the planning call (default: the agent\'s model)'),
    max_tasks: z.number().int().min(1).max(SWARM_LIMITS.maxTasks).default(12),
    max_concurrent: z.number().int().min(1).max(SWARM_LIMITS.maxConcurrent).default(3),
    deviation_rules: z.string().max(20_000).default(''),
    global_timeout_seconds: z.number().int().min(SWARM_LIMITS.minGlobalTimeoutSeconds).max(SWARM_LIMITS.maxGlobalTimeoutSeconds).default(1800),
  }),
  reply: z.object({
    goal: z.string(),
    plan_run_id: z.string().describe('The run in which the agent planned'),
    graph: SwarmPlanGraph,
    swarm: SwarmLaunch.nullable().describe('The launched swarm (execute: true), else null'),
  }),
});

/** A one-off agent execution: a one-step run of the runs service. */
export const SpawnView = z.object({
  id: z.string().describe('Execution id (the id of its run)'),
  run_id: z.string(),
  agent_id: z.string(),
  status: z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']),
  outputs: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
  created_at: Time,
  completed_at: Time.nullable(),
});
export type SpawnView = z.infer<typeof SpawnView>;

export const spawnExecute = defineCommand({
  domain: 'swarms', name: 'spawn', description: 'Spawn a one-off agent execution (returns at once)',
  request: z.object({
    agent_id: AgentId,
    execution_prompt: z.string().min(1).max(100_000),
    project_id: z.string().max(200).optional(),
    task_id: z.string().max(200).optional(),
    deviation_rules: z.string().max(20_000).default(''),
    model_override: ModelName.optional(),
    timeout_seconds: z.number().int().min(1).max(86_400).default(300),
  }),
  reply: SpawnView,
});

export const spawnGet = defineQuery({
  domain: 'swarms', name: 'spawn_get', description: 'Get a spawned execution', request: z.object({ id: Id }), reply: SpawnView,
});
