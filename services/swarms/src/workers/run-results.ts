import type { DeliveredMessage, Subscription } from '@cadre/bus';
import { decodeEvent } from '@cadre/eventstore';
import { NotFoundError, SPAWN_STEP_ID, eventTypeFilter, runCancelled, runComplete, runFailed, type EventEnvelope } from '@cadre/proto';
import { executeSwarm } from '../command';
import type { SwarmsContext } from '../context';
import type { RunOutcome } from '../swarm/decide';
import { keyedBatcher } from './batcher';

/** How a run event says a task's run ended; undefined for a run of no swarm. */
function outcomeOf(event: EventEnvelope): RunOutcome | undefined {
  const data = event.data;
  switch (event.type) {
    case 'run_complete': {
      const outputs = (data.outputs as Record<string, unknown> | undefined)?.[SPAWN_STEP_ID];
      return { kind: 'completed', outputs: typeof outputs === 'object' && outputs !== null ? outputs as Record<string, unknown> : {} };
    }
    case 'run_failed':
      return { kind: 'failed', error: String(data.error), retryable: data.retryable !== false };
    case 'run_cancelled':
      return { kind: 'cancelled', reason: typeof data.reason === 'string' ? data.reason : '' };
    default:
      return undefined;
  }
}

/**
 * Follows the end of the runs of swarm tasks — `run_complete`, `run_failed`, `run_cancelled` of
 * runs that carry a `swarm_id` — and hands each to its swarm (one durable consumer per type,
 * shared by the replicas). The swarm records each result once (a redelivery changes nothing)
 * and, in the same append, starts what became ready: no polling anywhere.
 */
export async function startRunResults(ctx: SwarmsContext): Promise<Subscription[]> {
  // The handler returns at once: results are gathered per swarm and decided in batches (one
  // append for all a replica has for a swarm), each message acked after its batch committed,
  // or handed back to be delivered again.
  const batches = keyedBatcher<{ readonly message: DeliveredMessage; readonly runId: string; readonly outcome: RunOutcome }>(async (swarmId, items) => {
    try {
      await executeSwarm(ctx, swarmId, { kind: 'runs_finished', results: items.map(({ runId, outcome }) => ({ runId, outcome })) });
      await Promise.all(items.map(({ message }) => message.ack()));
    } catch (err) {
      // A run naming a swarm that does not exist has nobody to tell.
      if (err instanceof NotFoundError) {
        await Promise.allSettled(items.map(({ message }) => message.ack()));
        return;
      }
      ctx.logger.warn({ err, swarmId }, 'run results not recorded; they will be delivered again');
      await Promise.allSettled(items.map(({ message }) => message.nak(250)));
    }
  }, (err, swarmId) => ctx.logger.error({ err, swarmId }, 'run results batch failed'));
  const handle = async (message: DeliveredMessage): Promise<void> => {
    const event = decodeEvent(message, ctx.store.registry);
    const swarmId = event?.data.swarm_id;
    const runId = event?.data.run_id;
    const outcome = event === undefined ? undefined : outcomeOf(event);
    if (typeof swarmId !== 'string' || typeof runId !== 'string' || outcome === undefined) return message.ack();
    batches.add(swarmId, { message, runId, outcome });
  };
  return Promise.all([runComplete, runFailed, runCancelled].map((definition) => ctx.bus.events.consume({
    durable: `swarms-${definition.type.replace(/_/g, '-')}`, filterSubject: eventTypeFilter(definition), ackWaitMs: ctx.config.SWARMS_ACK_WAIT_MS,
  }, handle)));
}
