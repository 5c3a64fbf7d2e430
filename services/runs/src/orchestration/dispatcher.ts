import type { Subscription } from '@cadre/bus';
import { decodeEvent } from '@cadre/eventstore';
import { BACKSTOP_LINGER_MS } from '@cadre/kit';
import { eventTypeFilter, stepQueued } from '@cadre/proto';
import { loadRun, pipelineOf } from '../command';
import type { RunsContext } from '../context';
import { activeAttempt } from '../run/state';
import { enqueueQueuedStep, stepJobId } from './job';

/** How long after a step was queued the dispatcher checks that its job was enqueued. */
const SAFETY_NET_DELAY_MS = 2_000;

/**
 * Makes sure every queued step reaches the work queue. The replica that queues a step enqueues
 * its job at once, after the commit (`executeRun`); this durable consumer (shared by the
 * replicas, so each event goes to one of them) on the `step_queued` events the outbox relay
 * published covers a replica that died between the commit and that enqueue, two seconds after
 * the step was queued (its first delivery is handed back until then). A step whose job this
 * replica enqueued itself is acked at once, without a read, and without waiting for the ack:
 * the next event is handled while it commits, so the acks of the events claimed together go in
 * one statement or two rather than one each (an ack lost with its replica only brings the event
 * back after the ack wait, to be found done and acked again). A safety net may lag: it lingers,
 * so the `step_queued` events of that time are claimed together. Otherwise it re-reads the run: an
 * attempt no longer queued (cancelled, timed out, already taken) is left alone, and one still
 * waiting is enqueued again under the same msgId, which adds no second job. A crash before the
 * ack redelivers the event, with the same outcome.
 */
export function startDispatcher(ctx: RunsContext): Promise<Subscription> {
  return ctx.bus.events.consume({ durable: 'runs-dispatcher', filterSubject: eventTypeFilter(stepQueued), ackWaitMs: 30_000, lingerMs: BACKSTOP_LINGER_MS }, async (message) => {
    // Upcast like every event read (from the store or the bus): the fields below are the current version's.
    const ref = decodeEvent(message, ctx.store.registry);
    const runId = ref?.data.run_id;
    if (ref === undefined || typeof runId !== 'string') return message.term();
    // The queuing replica has almost always enqueued the job by now: look again a little later,
    // rather than read the run while the step is being started (the hand-off's busiest moment).
    // This replica enqueued that job itself (after the commit): nothing to repair, nothing to read.
    const loopIndex = typeof ref.data.loop_index === 'number' ? ref.data.loop_index : undefined;
    const jobId = stepJobId(runId, { stepId: String(ref.data.step_id), attempt: Number(ref.data.attempt ?? 1), loop: loopIndex === undefined ? undefined : { index: loopIndex } });
    if (ctx.enqueuedSteps.has(jobId)) {
      ctx.enqueuedSteps.delete(jobId);
      message.ack().catch((err: unknown) => ctx.logger.debug({ err, seq: message.seq }, 'dispatcher: ack failed; the event comes again'));
      return;
    }
    const age = ctx.clock().getTime() - Date.parse(ref.occurredAt);
    if (message.deliveryCount === 1 && age >= 0 && age < SAFETY_NET_DELAY_MS) return message.nak(SAFETY_NET_DELAY_MS - age);
    const state = await loadRun(ctx, runId);
    const attempt = activeAttempt(state);
    if (attempt !== undefined && attempt.status === 'queued' && attempt.stepId === ref.data.step_id && attempt.attempt === (ref.data.attempt ?? 1)) {
      await enqueueQueuedStep(ctx, state, await pipelineOf(ctx, state));
    }
    await message.ack();
  });
}
