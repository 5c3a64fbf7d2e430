import type { Subscription } from '@cadre/bus';
import { decodeEvent } from '@cadre/eventstore';
import { eventTypeFilter, swarmCancelled, swarmTaskStarted } from '@cadre/proto';
import { loadSwarm } from '../command';
import type { SwarmsContext } from '../context';
import { cancelTaskRun, spawnTask } from '../swarm/tasks';

/** How long after a task started the safety net checks that its run was made. */
const SAFETY_NET_DELAY_MS = 2_000;

/**
 * Makes sure every started task has its run, and every cancelled swarm's runs are cancelled.
 * The replica that appends does both at once after the commit; these durable consumers of the
 * relayed events (shared by the replicas) cover one that died in between. A started task still
 * running that attempt is spawned again two seconds later — the run id is the attempt's, so a
 * run already made is found, not made twice; a cancelled swarm's runs are cancelled again (a run
 * already cancelled or ended is left as it is).
 */
export async function startSafetyNet(ctx: SwarmsContext): Promise<Subscription[]> {
  const started = await ctx.bus.events.consume({ durable: 'swarms-started', filterSubject: eventTypeFilter(swarmTaskStarted), ackWaitMs: 30_000 }, async (message) => {
    const event = decodeEvent(message, ctx.store.registry);
    const swarmId = event?.data.swarm_id;
    if (event === undefined || typeof swarmId !== 'string') return message.term();
    const age = ctx.clock().getTime() - Date.parse(event.occurredAt);
    if (message.deliveryCount === 1 && age >= 0 && age < SAFETY_NET_DELAY_MS) return message.nak(SAFETY_NET_DELAY_MS - age);
    const state = await loadSwarm(ctx, swarmId);
    const task = state.tasks[String(event.data.task_key)];
    if (state.status === 'running' && task?.status === 'running' && task.runIds.at(-1) === event.data.run_id) await spawnTask(ctx, state, task);
    await message.ack();
  });
  const cancelled = await ctx.bus.events.consume({ durable: 'swarms-cancelled', filterSubject: eventTypeFilter(swarmCancelled), ackWaitMs: 30_000 }, async (message) => {
    const event = decodeEvent(message, ctx.store.registry);
    const swarmId = event?.data.swarm_id;
    if (event === undefined || typeof swarmId !== 'string') return message.term();
    const state = await loadSwarm(ctx, swarmId);
    await Promise.all((event.data.run_ids as string[]).map((runId) => cancelTaskRun(ctx, state, runId, 'swarm cancelled')));
    await message.ack();
  });
  return [started, cancelled];
}
