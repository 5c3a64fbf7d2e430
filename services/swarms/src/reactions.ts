import type { Reaction } from '@cadre/eventstore';
import type { SwarmsContext } from './context';
import type { SwarmRequest } from './swarm/decide';
import type { SwarmState } from './swarm/state';
import { cancelTaskRun } from './swarm/tasks';

/** When a running swarm next needs a look: its earliest retry due, else its global timeout. */
export function wakeAt(state: SwarmState): Date | undefined {
  if (!state.exists || state.status !== 'running') return undefined;
  let at = Date.parse(state.deadline);
  for (const task of state.tasks) {
    if (task.status === 'retrying' && task.retryAt !== undefined) at = Math.min(at, Date.parse(task.retryAt));
  }
  return Number.isFinite(at) ? new Date(at) : undefined;
}

/** Sets this replica's timer for the swarm's next wake-up (a tick command then); the sweeper covers a replica that dies. */
export function scheduleWake(ctx: SwarmsContext, state: SwarmState, tick: (swarmId: string) => Promise<unknown>): void {
  const previous = ctx.timers.get(state.swarmId);
  if (previous !== undefined) clearTimeout(previous);
  ctx.timers.delete(state.swarmId);
  const at = wakeAt(state);
  if (at === undefined) return;
  const delay = Math.max(0, at.getTime() - ctx.clock().getTime());
  if (delay > 2 ** 31 - 1) return;
  const timer = setTimeout(() => {
    ctx.timers.delete(state.swarmId);
    tick(state.swarmId).catch((err: unknown) => ctx.logger.warn({ err, swarmId: state.swarmId }, 'swarm wake-up failed; the sweeper retries'));
  }, delay);
  timer.unref();
  ctx.timers.set(state.swarmId, timer);
}

type SwarmReaction = Reaction<SwarmState, boolean, SwarmRequest>;

/**
 * What follows a command on a swarm once it committed (each repairs itself or is repaired
 * elsewhere, so none fails the reply):
 * 1. the runs of tasks it cancelled or timed out are cancelled, aborting their model calls (the
 *    runs of tasks it started are spawned by the consumer of `swarm_task_started`: workers/dispatch);
 * 2. the projection is told the swarm's list row is current (it was written in the append, so
 *    `GET /v1/swarms` after the reply sees the change);
 * 3. the wake-up timer is set for the next retry due or the global timeout.
 */
export function swarmReactions(ctx: SwarmsContext, swarmId: string, tick?: (swarmId: string) => Promise<unknown>): readonly SwarmReaction[] {
  return [
    async ({ appended, state }) => {
      // Runs still going when the swarm ended: those of a cancel, and those a global timeout failed
      // (a task that failed on its own has no run left to cancel: that one answers 409, ignored).
      const ended = appended.some((e) => e.type === 'swarm_failed');
      const runs = appended.flatMap((e) => {
        if (e.type === 'swarm_cancelled') return (e.data.run_ids as string[]).map((runId) => ({ runId, reason: 'swarm cancelled' }));
        if (ended && e.type === 'swarm_task_failed' && typeof e.data.run_id === 'string') return [{ runId: e.data.run_id, reason: 'swarm failed' }];
        return [];
      });
      await Promise.all(runs.map(({ runId, reason }) => cancelTaskRun(ctx, state, runId, reason)
        .catch((err: unknown) => ctx.logger.warn({ err, swarmId, runId }, 'task run not cancelled; the swarm_cancelled consumer will'))));
    },
    ({ appended, state }) => {
      // The list row was written in the append (swarmViewAlongside): the projection passes these events over.
      if (appended.length > 0) ctx.writtenViews.set(swarmId, Math.max(ctx.writtenViews.get(swarmId) ?? 0, state.version));
    },
    ({ appended, state }) => {
      if (appended.length > 0 && tick !== undefined) scheduleWake(ctx, state, tick);
    },
  ];
}
