import type { DeliveredMessage, Subscription } from '@cadre/bus';
import { encodeJson } from '@cadre/bus';
import { STEP_QUEUE } from '@cadre/proto';
import { loadRun } from '../command';
import type { RunsContext } from '../context';
import { activeAttempt } from '../run/state';
import { syncRunViews } from '../view/sync';
import { buildStepJob, stepJobId } from './job';

interface EventRef {
  readonly type?: string;
  readonly version?: number;
  readonly data?: { readonly run_id?: string; readonly step_id?: string; readonly attempt?: number };
}

function refOf(message: DeliveredMessage): EventRef {
  try {
    return message.json<EventRef>();
  } catch {
    return {};
  }
}

/**
 * Puts queued steps on the work queue, after their `step_queued` event is committed: a
 * durable consumer (shared by the replicas, so each event goes to one of them) on the run
 * events the outbox relay published. The job is built from the run as it is now; an attempt
 * no longer queued (cancelled, timed out, already taken) is not enqueued. A crash before the
 * ack redelivers the event, and the msgId keeps the second enqueue from adding a job.
 */
export function startDispatcher(ctx: RunsContext): Promise<Subscription> {
  const queue = ctx.bus.workQueue(STEP_QUEUE);
  return ctx.bus.events.consume({ durable: 'runs-dispatcher', filterSubject: 'evt.runs.step_queued.>', ackWaitMs: 30_000 }, async (message) => {
    const ref = refOf(message);
    const runId = ref.data?.run_id;
    if (runId === undefined) return message.term();
    const state = await loadRun(ctx, runId);
    const attempt = activeAttempt(state);
    if (attempt === undefined || attempt.status !== 'queued' || attempt.stepId !== ref.data?.step_id || attempt.attempt !== (ref.data.attempt ?? 1)) {
      return message.ack();
    }
    const pipeline = await ctx.pipelines.get(state.pipelineId);
    if (pipeline === undefined) {
      ctx.logger.warn({ runId, pipelineId: state.pipelineId }, 'queued step of a deleted pipeline not dispatched');
      return message.ack();
    }
    const job = buildStepJob(state, attempt, pipeline);
    await queue.enqueue(encodeJson(job), { msgId: stepJobId(runId, attempt) });
    await message.ack();
  });
}

/**
 * Keeps the read models current from the bus for changes the writing replica could not
 * write itself (it died between append and update). Skips runs already at the event's version.
 */
export function startViewFollower(ctx: RunsContext): Promise<Subscription> {
  return ctx.bus.events.consume({ durable: 'runs-views', filterSubject: 'evt.runs.>', maxAckPending: 64 }, async (message) => {
    const ref = refOf(message);
    const runId = ref.data?.run_id;
    if (runId === undefined) return message.term();
    const seen = await ctx.pool.query<{ version: number }>(`select version from "${ctx.schema}".run_view where run_id = $1`, [runId]);
    const version = seen.rows[0]?.version ?? 0;
    if (ref.version === undefined || version < ref.version) {
      const state = await loadRun(ctx, runId);
      await syncRunViews(ctx.pool, ctx.schema, state, await ctx.pipelines.get(state.pipelineId));
    }
    await message.ack();
  });
}
