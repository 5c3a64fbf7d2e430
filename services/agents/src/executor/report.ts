import type { Bus } from '@cadre/bus';
import { reportStepCompleted, reportStepFailed, reportStepStarted, type StepJob } from '@cadre/proto';
import { call } from '@cadre/runtime';

/** Reports a step's progress to the runs service (request/reply, so a lost report is retried by the queue). */
export interface StepReporter {
  /** False when the runs service says the step moved on (stale or duplicate attempt). */
  started(): Promise<boolean>;
  completed(outputs: Readonly<Record<string, unknown>>): Promise<boolean>;
  failed(error: string, retryable: boolean): Promise<boolean>;
}

export function createStepReporter(bus: Bus, job: StepJob, attemptId: string, timeoutMs: number): StepReporter {
  const ref = {
    run_id: job.run_id, step_id: job.step_id, attempt: job.attempt, attempt_id: attemptId,
    ...(job.loop_index === undefined ? {} : { loop_index: job.loop_index }),
  };
  const options = { timeoutMs };
  return {
    started: async () => (await call(bus, reportStepStarted, { ...ref, agent_id: job.agent_id }, options)).accepted,
    completed: async (outputs) => (await call(bus, reportStepCompleted, { ...ref, outputs }, options)).accepted,
    failed: async (error, retryable) => (await call(bus, reportStepFailed, { ...ref, error, retryable }, options)).accepted,
  };
}
