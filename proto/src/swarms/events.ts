import { z } from 'zod';
import { defineEvent } from '../define-event';

// Events of swarms (seed 002 names two: swarm_task_started and swarm_task_complete; the rest
// complete the lifecycle). Every one carries swarm_id, and each event's subject scope is the
// swarm id, so `?swarm_id=` on the stream is a subject filter.

const SwarmRef = { swarm_id: z.string().min(1).describe('Swarm id') };
const TaskRef = {
  ...SwarmRef,
  task_key: z.string().min(1).describe('Key of the task within the swarm'),
  task_title: z.string().describe('Title of the task'),
};
const Outputs = z.record(z.string(), z.unknown()).describe('Named outputs of the task');

/** A model name as pipelines take it: `provider/model`. */
export const ModelName = z.string().max(200).regex(/^[a-z0-9][a-z0-9_.-]*\/\S+$/, 'expected "provider/model", e.g. "openai/gpt-4o" or "dry-run/echo"');

/** One task as launched (what swarm_created records). */
export const SwarmTaskSpec = z.object({
  key: z.string().min(1).max(200).describe('Unique key of the task within the swarm'),
  title: z.string().min(1).max(500),
  execution_prompt: z.string().min(1).max(100_000).describe('What the agent is asked to do'),
  dependencies: z.array(z.string().min(1).max(200)).max(500).default([]).describe('Keys of the tasks that must complete first'),
  model: ModelName.optional().describe('provider/model for this task (default: the agent\'s model)'),
  timeout_seconds: z.number().int().min(1).max(86_400).optional().describe('Wall-clock limit of one attempt (default 300)'),
  max_retries: z.number().int().min(0).max(10).optional().describe('Retries after a retryable failure (default 2)'),
  project_id: z.string().max(200).optional(),
  task_id: z.string().max(200).optional(),
  always_run: z.boolean().optional().describe('Run even when a dependency failed or was skipped (its error is given instead of its outputs)'),
});
export type SwarmTaskSpec = z.infer<typeof SwarmTaskSpec>;

/** Counts and per-task results of a finished (or cancelled) swarm. */
export const SwarmSummary = z.object({
  total_tasks: z.number().int().nonnegative(),
  completed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  cancelled: z.number().int().nonnegative(),
  total_duration_ms: z.number().nonnegative(),
  task_results: z.array(z.object({
    key: z.string(),
    title: z.string(),
    status: z.string(),
    attempts: z.number().int().nonnegative(),
    run_id: z.string().nullable(),
    error: z.string().nullable(),
    duration_ms: z.number().nonnegative().nullable(),
  })),
});
export type SwarmSummary = z.infer<typeof SwarmSummary>;

export const swarmCreated = defineEvent({
  type: 'swarm_created', domain: 'swarms', version: 1, description: 'A swarm of tasks was launched',
  data: z.object({
    ...SwarmRef,
    agent_id: z.string().min(1),
    model: z.string().describe('The model of tasks that name none'),
    tasks: z.array(SwarmTaskSpec),
    max_concurrent: z.number().int().positive(),
    deviation_rules: z.string().default(''),
    global_timeout_seconds: z.number().int().positive(),
    deadline: z.string().describe('ISO 8601: when the global timeout fails the swarm'),
    root_tasks: z.array(z.string()),
    max_depth: z.number().int().nonnegative(),
    created_by: z.string().optional().describe('Actor who launched it'),
    goal: z.string().optional().describe('The goal it was planned from (plan then execute)'),
  }),
});

export const swarmTaskStarted = defineEvent({
  type: 'swarm_task_started', domain: 'swarms', version: 1, description: 'A task of a swarm started (its run was created)',
  data: z.object({
    ...TaskRef,
    run_id: z.string().min(1).describe('The spawned run that does the task'),
    attempt: z.number().int().positive(),
    agent_id: z.string().optional(),
  }),
});

export const swarmTaskComplete = defineEvent({
  type: 'swarm_task_complete', domain: 'swarms', version: 1, description: 'A task of a swarm completed with its outputs',
  data: z.object({
    ...TaskRef,
    run_id: z.string(),
    attempt: z.number().int().positive(),
    outputs: Outputs,
    duration_ms: z.number().nonnegative().describe('Duration of the attempt that completed'),
  }),
});

export const swarmTaskFailed = defineEvent({
  type: 'swarm_task_failed', domain: 'swarms', version: 1, description: 'A task of a swarm failed for good',
  data: z.object({
    ...TaskRef,
    run_id: z.string().optional(),
    attempt: z.number().int().nonnegative(),
    error: z.string(),
    retryable: z.boolean().describe('False when the error could not be helped by another attempt'),
    duration_ms: z.number().nonnegative(),
  }),
});

export const swarmTaskRetrying = defineEvent({
  type: 'swarm_task_retrying', domain: 'swarms', version: 1, description: 'A failed attempt of a task will be tried again after a backoff',
  data: z.object({
    ...TaskRef,
    run_id: z.string(),
    attempt: z.number().int().positive().describe('The attempt that failed'),
    error: z.string(),
    delay_ms: z.number().int().nonnegative().describe('Backoff before the next attempt (exponential, with jitter)'),
    retry_at: z.string().describe('ISO 8601: the next attempt starts then, or at the first free slot after'),
  }),
});

export const swarmTaskSkipped = defineEvent({
  type: 'swarm_task_skipped', domain: 'swarms', version: 1, description: 'A task will not run: a dependency failed',
  data: z.object({ ...TaskRef, reason: z.string(), dependency: z.string().optional().describe('The dependency that failed') }),
});

export const swarmCompleted = defineEvent({
  type: 'swarm_completed', domain: 'swarms', version: 1, description: 'Every task of a swarm completed',
  data: z.object({ ...SwarmRef, summary: SwarmSummary }),
});

export const swarmFailed = defineEvent({
  type: 'swarm_failed', domain: 'swarms', version: 1, description: 'A swarm ended with failed or skipped tasks, or ran out of time',
  data: z.object({ ...SwarmRef, error: z.string(), summary: SwarmSummary }),
});

export const swarmCancelled = defineEvent({
  type: 'swarm_cancelled', domain: 'swarms', version: 1, description: 'A swarm was cancelled: running tasks aborted, nothing more starts',
  data: z.object({
    ...SwarmRef,
    reason: z.string().optional(),
    run_ids: z.array(z.string()).describe('Runs of the tasks that were running (cancelled with it)'),
    summary: SwarmSummary,
  }),
});

export const swarmRetried = defineEvent({
  type: 'swarm_retried', domain: 'swarms', version: 1, description: 'A finished swarm runs its failed, skipped and cancelled tasks again',
  data: z.object({
    ...SwarmRef,
    tasks: z.array(z.string()).describe('Keys of the tasks run again'),
    deadline: z.string().describe('ISO 8601: the global timeout counts again from the retry'),
  }),
});

export const swarmEvents = [
  swarmTaskStarted, swarmTaskComplete,
  swarmCreated, swarmTaskFailed, swarmTaskRetrying, swarmTaskSkipped, swarmCompleted, swarmFailed, swarmCancelled, swarmRetried,
] as const;
