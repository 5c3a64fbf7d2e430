import type { Bus } from '@cadre/bus';
import { reportStepCompleted, reportStepFailed, reportStepStarted, type StepJob } from '@cadre/proto';
import type { z } from 'zod';

/** Reports a step's progress to the runs service (request/reply, so a lost report is retried by the queue). */
export interface StepReporter {
  /** False when the runs service says the step moved on (stale or duplicate attempt). */
  started(): Promise<boolean>;
  completed(outputs: Readonly<Record<string, unknown>>): Promise<boolean>;
  failed(error: string, retryable: boolean): Promise<boolean>;
}

type Ack = z.infer<typeof reportStepStarted.reply>;

export function createStepReporter(bus: Bus, job: StepJob, attemptId: string, timeoutMs: number): StepReporter {
  const ref = {
    run_id: job.run_id, step_id: job.step_id, attempt: job.attempt, attempt_id: attemptId,
    ...(job.loop_index === undefined ? {} : { loop_index: job.loop_index }),
  };
  const send = async (subject: string, payload: object): Promise<boolean> =>
    (await bus.request<Ack>(subject, payload, { timeoutMs })).accepted;
  return {
    started: () => send(reportStepStarted.subject, { ...ref, agent_id: job.agent_id }),
    completed: (outputs) => send(reportStepCompleted.subject, { ...ref, outputs }),
    failed: (error, retryable) => send(reportStepFailed.subject, { ...ref, error, retryable }),
  };
}
