import type { DeliveredMessage, Subscription } from '@cadre/bus';
import { decodeEvent } from '@cadre/eventstore';
import { CadreError, NotFoundError, eventTypeFilter, swarmCancelled, swarmTaskStarted } from '@cadre/proto';
import { executeSwarm, loadSwarm } from '../command';
import type { SwarmsContext } from '../context';
import { taskByKey, type SwarmState } from '../swarm/state';
import { cancelTaskRun, spawnTask } from '../swarm/tasks';
import { keyedBatcher } from './batcher';

/**
 * Runs the tasks that started, and makes sure a cancelled swarm's runs are cancelled.
 *
 * A task's run is spawned from its relayed `swarm_task_started` event (a durable consumer shared
 * by the replicas), not straight after the commit: so the stream always shows a task's start
 * before its run's events, and a replica that dies after its append loses nothing — the event is
 * delivered again until a spawn is acked. The run id is the attempt's, so a spawn sent twice
 * finds the run it made. A task no longer running that attempt (cancelled, timed out) is left.
 *
 * The replica that cancels a swarm cancels its runs at once after the commit; the consumer of
 * `swarm_cancelled` does it again for one that died in between (a run already cancelled or
 * ended is left as it is).
 */
export async function startTaskDispatch(ctx: SwarmsContext): Promise<Subscription[]> {
  // Starts are gathered per swarm (one read of the swarm for all of them) and spawned side by side.
  const batches = keyedBatcher<{ readonly message: DeliveredMessage; readonly taskKey: string; readonly runId: string }>(async (swarmId, items) => {
    let state: SwarmState;
    try {
      state = await loadSwarm(ctx, swarmId);
    } catch (err) {
      if (err instanceof NotFoundError) {
        await Promise.allSettled(items.map(({ message }) => message.ack()));
        return;
      }
      ctx.logger.warn({ err, swarmId }, 'swarm not read; its task starts will be delivered again');
      await Promise.allSettled(items.map(({ message }) => message.nak(250)));
      return;
    }
    await Promise.all(items.map(async ({ message, taskKey, runId }) => {
      const task = taskByKey(state, taskKey);
      try {
        if (state.status === 'running' && task?.status === 'running' && task.runIds.at(-1) === runId) await spawnTask(ctx, state, task);
        await message.ack();
      } catch (err) {
        // A spawn the runs service refuses for good (a bad request) fails the task rather than come back forever.
        if (err instanceof CadreError && !err.retryable) {
          ctx.logger.warn({ err, swarmId, taskKey }, 'task run refused; the task fails');
          const refused = await executeSwarm(ctx, swarmId, {
            kind: 'run_finished', runId, outcome: { kind: 'failed', error: `its run could not be created: ${err.message}`, retryable: false },
          }).then(() => true, () => false);
          if (refused) return message.ack();
        }
        ctx.logger.warn({ err, swarmId, taskKey }, 'task run not spawned; the start will be delivered again');
        await message.nak(250).catch(() => undefined);
      }
    }));
  }, (err, swarmId) => ctx.logger.error({ err, swarmId }, 'task starts batch failed'));
  const started = await ctx.bus.events.consume({ durable: 'swarms-started', filterSubject: eventTypeFilter(swarmTaskStarted), ackWaitMs: ctx.config.SWARMS_ACK_WAIT_MS }, async (message) => {
    const event = decodeEvent(message, ctx.store.registry);
    const swarmId = event?.data.swarm_id;
    if (event === undefined || typeof swarmId !== 'string') return message.term();
    batches.add(swarmId, { message, taskKey: String(event.data.task_key), runId: String(event.data.run_id) });
  });
  const cancelled = await ctx.bus.events.consume({ durable: 'swarms-cancelled', filterSubject: eventTypeFilter(swarmCancelled), ackWaitMs: ctx.config.SWARMS_ACK_WAIT_MS }, async (message) => {
    const event = decodeEvent(message, ctx.store.registry);
    const swarmId = event?.data.swarm_id;
    if (event === undefined || typeof swarmId !== 'string') return message.term();
    const state = await loadSwarm(ctx, swarmId);
    await Promise.all((event.data.run_ids as string[]).map((runId) => cancelTaskRun(ctx, state, runId, 'swarm cancelled')));
    await message.ack();
  });
  return [started, cancelled];
}
