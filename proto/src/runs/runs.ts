import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';

// Runs and steps (seed 002, "Runs", "Steps", "Run History"), answered by the runs service.

/** Lifecycle of a run. */
export const RunStatus = z.enum(['pending', 'running', 'completed', 'failed', 'cancelled']);
export type RunStatus = z.infer<typeof RunStatus>;

/** Lifecycle of a step (its latest attempt). */
export const StepStatus = z.enum(['pending', 'queued', 'running', 'completed', 'failed', 'cancelled', 'retrying']);
export type StepStatus = z.infer<typeof StepStatus>;

const Id = z.string().min(1).max(200);
const Time = z.string().describe('ISO 8601');
const Outputs = z.record(z.string(), z.unknown());

/** One step of a run, as its latest attempt left it. */
export const StepView = z.object({
  run_id: z.string(),
  step_id: z.string(),
  status: StepStatus,
  agent_id: z.string().nullable(),
  attempt: z.number().int().nonnegative().describe('Attempts so far (0 while pending)'),
  retry_count: z.number().int().nonnegative(),
  loop_index: z.number().int().nonnegative().nullable(),
  loop_count: z.number().int().nonnegative().nullable(),
  outputs: Outputs,
  error: z.string().nullable(),
  feedback: z.string().nullable(),
  queued_at: Time.nullable(),
  started_at: Time.nullable(),
  completed_at: Time.nullable(),
});
export type StepView = z.infer<typeof StepView>;

/** A run: its pipeline, task, status and, in details, its steps. */
export const RunView = z.object({
  id: z.string(),
  pipeline_id: z.string(),
  status: RunStatus,
  task_description: z.string(),
  human_context: z.string().nullable(),
  project_name: z.string().nullable(),
  project_id: z.string().nullable(),
  task_id: z.string().nullable(),
  swarm_id: z.string().optional().describe('The swarm whose task the run does'),
  current_step_id: z.string().nullable(),
  outputs: z.record(z.string(), Outputs).describe('Outputs by step id'),
  error: z.string().nullable(),
  created_at: Time,
  updated_at: Time,
  completed_at: Time.nullable(),
  /** Version of the run's event stream this view reflects (read-your-writes). */
  version: z.number().int().nonnegative(),
  steps: z.array(StepView).optional(),
  /** Lists only: the fields cut short or left out to keep a page small; `GET /v1/runs/{id}` has them whole. */
  truncated: z.array(z.enum(['task_description', 'human_context', 'outputs'])).optional()
    .describe('In lists: fields cut short (texts to 1,000 characters) or left out (outputs over 2 KB); the run itself has them whole'),
});
export type RunView = z.infer<typeof RunView>;

const Limit = z.coerce.number().int().min(1).max(500).default(50);

/** Start a run of a pipeline. */
export const runCreate = defineCommand({
  domain: 'runs', name: 'create', description: 'Create a run of a pipeline',
  request: z.object({
    pipeline_id: Id,
    task_description: z.string().min(1).max(100_000),
    human_context: z.string().max(100_000).optional(),
    project_name: z.string().max(200).optional(),
    project_id: z.string().max(200).optional(),
    task_id: z.string().max(200).optional(),
    speak: z.boolean().optional().describe('Speak the final answer (the voice service stores it and emits tts_audio)'),
  }),
  reply: RunView,
});

/** Pipeline id of spawned runs: their one-step pipeline is made from `run_created.spawn`, never stored. */
export const SPAWN_PIPELINE_ID = 'spawn';

/** The one step of a spawned run (its outputs are the run's `outputs.execute`). */
export const SPAWN_STEP_ID = 'execute';

/**
 * A spawned execution: a one-step run of one agent with a prompt, made without a stored
 * pipeline (what the swarms service runs each task as). The caller chooses the run id, so a
 * spawn sent again (after a crash) finds the run it made and creates nothing more. Not an HTTP
 * route of its own: `POST /v1/spawn-executor/execute` and swarms send it.
 */
export const runSpawn = defineCommand({
  domain: 'runs', name: 'spawn', description: 'Create a one-step run of one agent (idempotent by run id)',
  request: z.object({
    run_id: Id,
    agent_id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, - or _ (at most 64)'),
    model: z.string().max(200).regex(/^[a-z0-9][a-z0-9_.-]*\/\S+$/, 'expected "provider/model"').describe('provider/model'),
    prompt: z.string().min(1).max(1_000_000),
    system_prompt: z.string().max(100_000).optional(),
    outputs: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/)).min(1).max(50).optional().describe('Output names (default: result)'),
    structured_output: z.record(z.string(), z.unknown()).optional().describe('JSON Schema the outputs must satisfy'),
    timeout_seconds: z.number().int().min(1).max(86_400).default(300),
    swarm_id: Id.optional(),
    project_id: z.string().max(200).optional(),
    task_id: z.string().max(200).optional(),
  }),
  reply: RunView,
});

/** Runs, newest first; `cursor` (from `next_cursor`) or `offset` pages. */
export const runList = defineQuery({
  domain: 'runs', name: 'list', description: 'List runs',
  request: z.object({
    pipeline_id: Id.optional(),
    status: RunStatus.optional(),
    limit: Limit,
    offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
    cursor: z.string().max(500).optional(),
  }),
  reply: z.object({ runs: z.array(RunView), total: z.number().int().nonnegative(), next_cursor: z.string().nullable() }),
});

const RunRef = z.object({ run_id: Id });

/** One run with its steps (read from its event stream, so it sees every write). */
export const runGet = defineQuery({
  domain: 'runs', name: 'get', description: 'Get a run with its steps', request: RunRef, reply: RunView,
});

/** Cancel a run: the running step is aborted and no later step starts. */
export const runCancel = defineCommand({
  domain: 'runs', name: 'cancel', description: 'Cancel a run',
  request: RunRef.extend({ reason: z.string().max(1_000).optional() }),
  reply: RunView,
});

/** Resume a failed or cancelled run at its failed step, or from the start. */
export const runRestart = defineCommand({
  domain: 'runs', name: 'restart', description: 'Restart a failed or cancelled run',
  request: RunRef.extend({ from_start: z.boolean().default(false) }),
  reply: RunView,
});

/** The steps of a run. */
export const stepList = defineQuery({
  domain: 'runs', name: 'steps', description: 'List the steps of a run',
  request: RunRef, reply: z.object({ run_id: z.string(), steps: z.array(StepView) }),
});

const StepRef = RunRef.extend({ step_id: Id });

/** One step of a run. */
export const stepGet = defineQuery({
  domain: 'runs', name: 'step', description: 'Get a step of a run', request: StepRef, reply: StepView,
});

/** The outputs of one step. */
export const stepOutput = defineQuery({
  domain: 'runs', name: 'step_output', description: 'Get the outputs of a step',
  request: StepRef,
  reply: z.object({ run_id: z.string(), step_id: z.string(), status: StepStatus, outputs: Outputs }),
});

/** One step attempt in the history agents query about their own work. */
export const RunHistoryEntry = z.object({
  run_id: z.string(),
  step_id: z.string(),
  attempt: z.number().int().positive(),
  pipeline_id: z.string(),
  agent_id: z.string().nullable(),
  status: StepStatus,
  project_name: z.string().nullable(),
  project_id: z.string().nullable(),
  task_id: z.string().nullable(),
  error: z.string().nullable(),
  queued_at: Time.nullable(),
  started_at: Time.nullable(),
  completed_at: Time.nullable(),
});

/** Execution history (step attempts), newest first. */
export const runHistory = defineQuery({
  domain: 'runs', name: 'history', description: 'Query execution history',
  request: z.object({
    project_id: z.string().max(200).optional(),
    task_id: z.string().max(200).optional(),
    agent_id: z.string().max(200).optional(),
    status: StepStatus.optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    limit: Limit,
  }),
  reply: z.object({ entries: z.array(RunHistoryEntry) }),
});

/** Asks the runs service to give up on a running step past its time (what its sweeper sends). */
export const stepTimeout = defineCommand({
  domain: 'runs', name: 'step_timeout', description: 'Fail a running step attempt that is past its timeout',
  request: StepRef.extend({ attempt: z.number().int().positive() }),
  reply: z.object({ accepted: z.boolean() }),
});
