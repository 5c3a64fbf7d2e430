import { sql } from 'kysely';
import type { Subscription } from '@cadre/bus';
import { decodeEvent } from '@cadre/eventstore';
import { CadreError, domainFilter } from '@cadre/proto';
import { executeTask, loadProject } from '../commands';
import type { ProjectsContext } from '../context';
import { policyOf } from '../policy';
import type { RunOutcome } from '../task/state';
import { recordBoardRun } from '../handlers/execution';

const OUTCOMES: Readonly<Record<string, RunOutcome>> = { run_complete: 'complete', run_failed: 'failed', run_cancelled: 'cancelled' };
/** Deliveries of a run's end the follower waits for its task to learn of a run started from the board (recorded right after the run exists). */
const WAIT_DELIVERIES = 8;

/**
 * Moves tasks as their runs end, through the runs' events only. One durable consumer of the runs
 * domain, shared by the replicas with one event in flight, so a run's `run_created` (which
 * names its project and task: recorded in `board_runs`) is handled before its end. On
 * `run_complete`, `run_failed` or `run_cancelled` of a run started from the board, the task's
 * decider applies the policy's automatic move (read at that moment); a redelivered end changes
 * nothing. A run that names a task the task never started (one made with POST /v1/runs) moves
 * nothing.
 */
export function startRunFollower(ctx: ProjectsContext): Promise<Subscription> {
  return ctx.bus.events.consume({ durable: `${ctx.schema}-run-follower`, filterSubject: domainFilter('runs'), maxAckPending: 1, ackWaitMs: 30_000, deliverFrom: { kind: 'new' } }, async (message) => {
    const event = decodeEvent(message, ctx.store.registry);
    if (event === undefined) return message.term();
    const runId = typeof event.data.run_id === 'string' ? event.data.run_id : undefined;
    if (runId === undefined) return message.ack();
    if (event.type === 'run_created') {
      const { project_id: projectId, task_id: taskId } = event.data;
      if (typeof projectId === 'string' && typeof taskId === 'string') await recordBoardRun(ctx, runId, projectId, taskId, false);
      return message.ack();
    }
    const outcome = OUTCOMES[event.type];
    if (outcome === undefined) return message.ack();
    const board = (await sql<{ project_id: string; task_id: string; started_from_board: boolean }>`select project_id, task_id, started_from_board
      from ${sql.id(ctx.schema, 'board_runs')} where run_id = ${runId}`.execute(ctx.db)).rows[0];
    if (board === undefined) return message.ack();
    const project = await loadProject(ctx, board.project_id);
    if (!project.exists) return message.ack();
    let result;
    try {
      ({ result } = await executeTask(ctx, project, board.task_id, async () => ({
        kind: 'run_finished', runId, outcome, policy: policyOf(await loadProject(ctx, board.project_id)),
      }), { causationId: event.id, ...(event.meta.correlationId !== undefined ? { correlationId: event.meta.correlationId } : {}), actor: 'service:projects' }));
    } catch (error) {
      // A refusal (the task is gone) is for good: only a failure a retry can mend comes back.
      if (!(error instanceof CadreError) || error.retryable) throw error;
      ctx.logger.warn({ err: error, runId, taskId: board.task_id }, 'the end of a run moved no task');
      return message.ack();
    }
    // Started from the board but not yet recorded by the task (its start appends right after the run exists): a moment more.
    if (result === 'unknown_run' && board.started_from_board && message.deliveryCount < WAIT_DELIVERIES) return message.nak(25 * message.deliveryCount);
    if (result === 'unknown_run') ctx.logger.info({ runId, taskId: board.task_id }, 'a run named a task that did not start it: the task stays where it is');
    return message.ack();
  });
}
