import { z } from 'zod';
import { defineEvent } from '../define-event';

// Events of runs and steps (seed 002, "Events (SSE)"). Every one carries run_id. What an agent
// writes while it works on a step is in ../agents/events.ts, the activity feed in ../activity.
// `swarm_id` (added, optional): the swarm whose task the run does, so `?swarm_id=` on the stream carries it.
const RunRef = { run_id: z.string().min(1).describe('Run id'), swarm_id: z.string().optional().describe('Swarm whose task this run does') };
const StepRef = { ...RunRef, step_id: z.string().min(1).describe('Step id within the pipeline'), agent_id: z.string().optional() };
// Optional, added after version 1: which attempt of the step (and which loop item) an event is about.
const AttemptInfo = {
  attempt_id: z.string().optional().describe('Bus delivery that did the work'),
  loop_step: z.string().optional().describe('Loop step whose item this attempt runs for'),
  loop_index: z.number().int().nonnegative().optional(),
  loop_count: z.number().int().nonnegative().optional(),
};
const Outputs = z.record(z.string(), z.unknown()).describe('Named outputs of a step or run');

export const runCreated = defineEvent({
  type: 'run_created', domain: 'runs', version: 1, description: 'A run of a pipeline was created',
  data: z.object({
    ...RunRef,
    pipeline_id: z.string().min(1),
    task_description: z.string(),
    human_context: z.string().optional(),
    project_name: z.string().optional(),
    // Added fields (optional, so version 1 data stays valid): run-history filters and the creator.
    project_id: z.string().optional(),
    task_id: z.string().optional(),
    created_by: z.string().optional(),
    // Added: the run asks for its final answer to be spoken (voice service).
    speak: z.boolean().optional(),
    // Added (optional): a one-step run of one agent made without a stored pipeline (the spawn executor).
    spawn: z.object({
      agent_id: z.string().min(1),
      model: z.string().min(1),
      timeout_seconds: z.number().int().positive(),
      system_prompt: z.string().optional(),
      outputs: z.array(z.string()).optional().describe('Output names the step must produce (default: result)'),
      structured_output: z.record(z.string(), z.unknown()).optional().describe('JSON Schema the outputs must satisfy'),
    }).optional().describe('A spawned execution: one step of this agent with the task description as its prompt'),
    // Added (optional): the pipeline as it was when the run was created. The run follows it to
    // its end (restarts included), whatever later edits or deletion of the stored pipeline; a run
    // created before this field existed follows the stored pipeline, looked up by id.
    pipeline: z.record(z.string(), z.unknown()).optional().describe('The pipeline definition the run was created with, which it follows to its end'),
  }),
});

export const runComplete = defineEvent({
  type: 'run_complete', domain: 'runs', version: 1, description: 'Every step of the run completed',
  data: z.object({ ...RunRef, outputs: Outputs }),
});

export const runFailed = defineEvent({
  type: 'run_failed', domain: 'runs', version: 1, description: 'The run stopped at a failed step',
  data: z.object({
    ...RunRef, error: z.string(), step_id: z.string().optional(),
    retryable: z.boolean().optional().describe('Added: false when the failure could not be helped by another attempt'),
  }),
});

export const runCancelled = defineEvent({
  type: 'run_cancelled', domain: 'runs', version: 1, description: 'The run was cancelled; no later step starts',
  data: z.object({ ...RunRef, reason: z.string().optional() }),
});

export const stepQueued = defineEvent({
  type: 'step_queued', domain: 'runs', version: 1, description: 'A step was put on the work queue',
  data: z.object({
    ...StepRef, attempt: z.number().int().positive().default(1), ...AttemptInfo,
    feedback: z.string().optional().describe('Why the previous attempt is retried'),
    timeout_seconds: z.number().positive().optional().describe('Wall-clock limit of the attempt once started'),
  }),
});

export const stepStarted = defineEvent({
  type: 'step_started', domain: 'runs', version: 1, description: 'An agent began a step',
  data: z.object({ ...StepRef, session_id: z.string().optional(), attempt: z.number().int().positive().default(1), ...AttemptInfo }),
});

export const stepComplete = defineEvent({
  type: 'step_complete', domain: 'runs', version: 1, description: 'A step finished with its outputs',
  data: z.object({ ...StepRef, outputs: Outputs, attempt: z.number().int().positive().optional(), ...AttemptInfo }),
});

export const stepFailed = defineEvent({
  type: 'step_failed', domain: 'runs', version: 1, description: 'A step failed',
  data: z.object({
    ...StepRef, error: z.string(), retry_count: z.number().int().nonnegative().default(0),
    attempt: z.number().int().positive().optional(), ...AttemptInfo,
    timed_out: z.boolean().optional().describe('The runs service gave up waiting for the attempt'),
  }),
});

export const stepRetrying = defineEvent({
  type: 'step_retrying', domain: 'runs', version: 1, description: 'A failed step is tried again with the failure as feedback',
  data: z.object({ ...StepRef, feedback: z.string(), attempt: z.number().int().positive() }),
});

export const stepCancelled = defineEvent({
  type: 'step_cancelled', domain: 'runs', version: 1, description: 'A step was cancelled with its run',
  data: z.object({ ...StepRef, reason: z.string().optional(), attempt: z.number().int().positive().optional() }),
});

export const runRestarted = defineEvent({
  type: 'run_restarted', domain: 'runs', version: 1,
  description: 'A failed or cancelled run goes on: at its failed step keeping earlier outputs, or from the start',
  data: z.object({ ...RunRef, from_start: z.boolean(), step_id: z.string().optional() }),
});

export const runEvents = [
  runCreated, runComplete, runFailed, runCancelled,
  stepQueued, stepStarted, stepComplete, stepFailed, stepRetrying, stepCancelled,
  runRestarted,
] as const;
