import type { DeliveredMessage, Subscription } from '@cadre/bus';
import { decodeEvent } from '@cadre/eventstore';
import { SPAWN_STEP_ID, eventTypeFilter, runCancelled, runComplete, runFailed, type EventEnvelope } from '@cadre/proto';
import { executeSwarm } from '../command';
import type { SwarmsContext } from '../context';
import type { RunOutcome } from '../swarm/decide';

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
 * shared by the replicas). The swarm records the result once (a redelivery is answered
 * `false`) and, in the same append, starts what became ready: no polling anywhere.
 */
export async function startRunResults(ctx: SwarmsContext): Promise<Subscription[]> {
  const handle = async (message: DeliveredMessage): Promise<void> => {
    const event = decodeEvent(message, ctx.store.registry);
    const swarmId = event?.data.swarm_id;
    const runId = event?.data.run_id;
    const outcome = event === undefined ? undefined : outcomeOf(event);
    if (typeof swarmId !== 'string' || typeof runId !== 'string' || outcome === undefined) return message.ack();
    await executeSwarm(ctx, swarmId, { kind: 'run_finished', runId, outcome });
    await message.ack();
  };
  return Promise.all([runComplete, runFailed, runCancelled].map((definition) => ctx.bus.events.consume({
    durable: `swarms-${definition.type.replace(/_/g, '-')}`, filterSubject: eventTypeFilter(definition), ackWaitMs: ctx.config.SWARMS_ACK_WAIT_MS,
  }, handle)));
}
