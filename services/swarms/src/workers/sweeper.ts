import type { Subscription } from '@cadre/bus';
import { executeSwarm } from '../command';
import type { SwarmsContext } from '../context';
import { dueSwarms } from '../view/queries';

/**
 * The safety net of the wake-up timers: every interval, running swarms whose `wake_at` passed (a
 * retry due, the global timeout) get a tick. Every replica sweeps; the tick re-decides on the
 * swarm's own stream, so whichever replica comes first acts and the others change nothing.
 */
export function startSweeper(ctx: SwarmsContext): Subscription {
  let running = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => { resolveClosed = resolve; });
  const sweep = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      for (const swarmId of await dueSwarms(ctx.db, ctx.clock())) await executeSwarm(ctx, swarmId, { kind: 'tick' });
    } catch (err) {
      ctx.logger.warn({ err }, 'swarm sweep failed; the next one retries');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), ctx.config.SWARMS_SWEEP_INTERVAL_MS);
  timer.unref();
  return {
    closed,
    async stop() {
      clearInterval(timer);
      for (const wake of ctx.timers.values()) clearTimeout(wake);
      ctx.timers.clear();
      resolveClosed();
    },
  };
}
