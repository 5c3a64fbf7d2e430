import { z } from 'zod';
import { defineCommand } from '../messages';
import { subjectToken } from '../subjects';

/** Work queue the runs service puts steps on and the agent executor takes them from. */
export const STEP_QUEUE = 'steps';

/**
 * One step for an agent to do, as the runs service enqueues it (msgId `<run>:<step>:<attempt>`).
 * Everything the executor needs is in the job, so the executor never reads the runs' state.
 */
export const StepJob = z.object({
  run_id: z.string(),
  step_id: z.string(),
  /** 1-based attempt of this step within the run (a retry with feedback is a new attempt). */
  attempt: z.number().int().positive(),
  /** Loop item index when the step runs once per item. */
  loop_index: z.number().int().nonnegative().optional(),
  agent_id: z.string(),
  model: z.string().describe('provider/model'),
  system_prompt: z.string().default(''),
  input: z.string().describe('The rendered input template'),
  outputs: z.array(z.string()).default([]).describe('Output names the step must produce'),
  structured_output: z.record(z.string(), z.unknown()).optional().describe('JSON Schema the outputs must satisfy'),
  tools: z.array(z.string()).default([]),
  feedback: z.string().optional().describe('Why the previous attempt was retried'),
  /**
   * Where `model` came from (added, optional). `defaults` with an agent the pipeline does not
   * declare means that agent's own configured model should win over the pipeline default.
   */
  model_source: z.enum(['step', 'agent', 'defaults']).optional(),
  /** Loop this attempt runs an item of, and the item count (added, optional). */
  loop_step: z.string().optional(),
  loop_count: z.number().int().nonnegative().optional(),
  /** The user who created the run (added, optional): model calls are counted in their usage. */
  user_id: z.string().optional(),
  /** The swarm whose task the run does (added, optional): the agents' events of the step carry it. */
  swarm_id: z.string().optional(),
  /** The project the run works on (added, optional): the code graph tools read its graph. */
  project_id: z.string().optional(),
  limits: z.object({
    timeout_seconds: z.number().positive(),
    max_turns: z.number().int().positive(),
    max_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
  }),
});
export type StepJob = z.infer<typeof StepJob>;

const StepAttemptRef = {
  run_id: z.string(),
  step_id: z.string(),
  attempt: z.number().int().positive(),
  loop_index: z.number().int().nonnegative().optional(),
  /** The bus delivery that did the work; the runs service records a step's result once. */
  attempt_id: z.string(),
};

const Ack = z.object({ accepted: z.boolean().describe('False when the step had already moved on (duplicate or stale attempt)') });

/** The executor began a step (idempotent per attempt id). */
export const reportStepStarted = defineCommand({
  domain: 'runs', name: 'step_started', description: 'An agent began working on a step',
  request: z.object({ ...StepAttemptRef, agent_id: z.string(), session_id: z.string().optional() }),
  reply: Ack,
});

/** The executor finished a step with its outputs (recorded once). */
export const reportStepCompleted = defineCommand({
  domain: 'runs', name: 'step_completed', description: 'An agent finished a step with its outputs',
  request: z.object({ ...StepAttemptRef, outputs: z.record(z.string(), z.unknown()) }),
  reply: Ack,
});

/** The executor gave up on a step; the runs service retries it or fails the run. */
export const reportStepFailed = defineCommand({
  domain: 'runs', name: 'step_failed', description: 'An agent failed a step',
  request: z.object({ ...StepAttemptRef, error: z.string(), retryable: z.boolean().default(true) }),
  reply: Ack,
});

/** Ephemeral subject on which a run's cancellation is announced, so executors abort at once. */
export function runCancelSubject(runId: string): string {
  return `runs.cancelled.${subjectToken(runId)}`;
}

/** The filter of every run's cancellation subject (one subscription an executor holds for all its steps). */
export const RUN_CANCEL_FILTER = 'runs.cancelled.*';
