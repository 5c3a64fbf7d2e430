import type { Subscription } from '@cadre/bus';
import { startPeriodic } from '@cadre/runtime';
import { executeSwarm } from '../command';
import type { SwarmsContext } from '../context';
import { dueSwarms } from '../view/queries';

/**
 * The safety net of the wake-up timers: every interval, running swarms whose `wake_at` passed (a
 * retry due, the global timeout) get a tick. Every replica sweeps; the tick re-decides on the
 * swarm's own stream, so whichever replica comes first acts and the others change nothing.
 */
export function startSweeper(ctx: SwarmsContext): Subscription {
  const periodic = startPeriodic({
    intervalMs: ctx.config.SWARMS_SWEEP_INTERVAL_MS,
    run: async () => {
      for (const swarmId of await dueSwarms(ctx.db, ctx.clock())) await executeSwarm(ctx, swarmId, { kind: 'tick' });
    },
    onError: (err) => ctx.logger.warn({ err }, 'swarm sweep failed; the next one retries'),
  });
  return {
    closed: periodic.closed,
    async stop() {
      await periodic.stop();
      // The in-memory wake-up timers go with it (the sweep is their safety net on the next start).
      for (const wake of ctx.timers.values()) clearTimeout(wake);
      ctx.timers.clear();
    },
  };
}
