import type { Subscription } from '@cadre/bus';
import { startPeriodic } from '@cadre/runtime';
import { executeRun } from '../command';
import type { RunsContext } from '../context';
import { overdueSteps } from '../view/queries';

/**
 * Enforces step timeouts: every interval, running attempts past their deadline (from the
 * steps read model) get a timeout command. Every replica sweeps; the command re-checks the
 * run's own stream, so a step is failed once however many replicas see it overdue.
 */
export function startTimeoutSweeper(ctx: RunsContext, intervalMs: number): Subscription {
  return startPeriodic({
    intervalMs,
    run: async () => {
      for (const due of await overdueSteps(ctx.pool, ctx.schema, ctx.clock())) {
        const { accepted } = await executeRun(ctx, due.run_id, { kind: 'timeout', stepId: due.step_id, attempt: due.attempt });
        if (accepted) ctx.logger.info({ runId: due.run_id, stepId: due.step_id, attempt: due.attempt }, 'step timed out');
      }
    },
    onError: (err) => ctx.logger.warn({ err }, 'timeout sweep failed; next one retries'),
  });
}
