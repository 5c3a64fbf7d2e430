import type { RequestHandler } from '@cadre/bus';
import { reportStepCompleted, reportStepFailed, reportStepStarted } from '@cadre/proto';
import { executeRun } from '../command';
import type { RunsContext } from '../context';
import { endpoint } from './endpoint';

/**
 * What the agent executor reports about a step attempt. Idempotent: a report about an attempt
 * that is no longer in flight (duplicate, superseded, run ended) answers `accepted: false`.
 */
export function reportHandlers(ctx: RunsContext): ReadonlyArray<readonly [string, RequestHandler]> {
  const ref = (r: { step_id: string; attempt: number; attempt_id: string; loop_index?: number | undefined }) =>
    ({ stepId: r.step_id, attempt: r.attempt, attemptId: r.attempt_id, loopIndex: r.loop_index });
  return [
    endpoint(reportStepStarted, async (r) => {
      const { accepted } = await executeRun(ctx, r.run_id, { kind: 'step_started', ...ref(r), agentId: r.agent_id, sessionId: r.session_id });
      return { accepted };
    }),
    endpoint(reportStepCompleted, async (r) => {
      const { accepted } = await executeRun(ctx, r.run_id, { kind: 'step_completed', ...ref(r), outputs: r.outputs });
      return { accepted };
    }),
    endpoint(reportStepFailed, async (r) => {
      const { accepted } = await executeRun(ctx, r.run_id, { kind: 'step_failed', ...ref(r), error: r.error, retryable: r.retryable });
      return { accepted };
    }),
  ];
}
