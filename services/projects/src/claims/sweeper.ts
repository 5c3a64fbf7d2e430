import { sql } from 'kysely';
import type { Subscription } from '@cadre/bus';
import { startPeriodic } from '@cadre/runtime';
import { CadreError } from '@cadre/proto';
import { executeTask, loadProject } from '../commands';
import type { ProjectsContext } from '../context';

/** Claims released per sweep at most. */
const BATCH = 100;

/**
 * Releases claims past their expiry, so the stream says when a claim ended (`task_claim_released`,
 * reason `expired`) rather than only the next claimant. A claim is already void once its time has
 * passed (claims and reads check the time); this only records it. Every replica sweeps: a second
 * release of the same claim finds none and changes nothing.
 */
export function startClaimSweeper(ctx: ProjectsContext, intervalMs: number): Subscription {
  const periodic = startPeriodic({
    intervalMs,
    run: async () => {
      const now = ctx.clock();
      const due = (await sql<{ task_id: string; project_id: string }>`select task_id, project_id from ${sql.id(ctx.schema, 'tasks')}
        where claim_expires_at <= ${now} order by claim_expires_at limit ${BATCH}`.execute(ctx.db)).rows;
      for (const { task_id: taskId, project_id: projectId } of due) {
        if (periodic.stopped()) return;
        try {
          const project = await loadProject(ctx, projectId);
          await executeTask(ctx, project, taskId, () => ({ kind: 'release', holder: undefined, now: ctx.clock(), onlyExpired: true }), { actor: 'service:projects' });
        } catch (error) {
          if (!(error instanceof CadreError) || error.retryable) ctx.logger.warn({ err: error, taskId }, 'expired claim not released; the next sweep tries again');
        }
      }
    },
    onError: (err) => ctx.logger.warn({ err }, 'claim sweep failed'),
  });
  return periodic;
}
