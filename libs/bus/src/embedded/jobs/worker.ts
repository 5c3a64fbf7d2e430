import type { JobHandler, Subscription } from '../../types';
import { loopSubscription, retryDelay, type BusContext } from '../context';
import { Wakeup } from '../wakeup';
import { claimJobs, nextDueMs, purgeFinished } from './claim';
import { runJob } from './run';
import type { WorkerSettings } from './settings';

const PURGE_EVERY_MS = 60_000;

/**
 * Runs up to `concurrency` jobs at once. It claims only as many jobs as it has free slots, so
 * no claimed job waits in a buffer while its lease runs out. Stopping lets running jobs finish.
 */
export function startWorker(ctx: BusContext, queue: string, handler: JobHandler, settings: WorkerSettings): Promise<Subscription> {
  return loopSubscription(ctx, async (signal, ready) => {
    const wakeup = new Wakeup([ctx.hub.pulse(`jobs:${queue}`)], signal);
    const running = new Set<Promise<void>>();
    let failures = 0;
    let purgedAt = 0;
    const aborted = new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    try {
      while (!signal.aborted) {
        const free = settings.concurrency - running.size;
        if (free <= 0) {
          await Promise.race([...running, aborted]);
          continue;
        }
        let claimed;
        try {
          claimed = await claimJobs(ctx.db, queue, free, settings);
          if (failures > 0) ctx.logger.info({ queue }, 'embedded bus: worker resumed');
          failures = 0;
        } catch (error) {
          if (failures++ === 0) ctx.logger.warn({ err: (error as Error).message, queue }, 'embedded bus: worker cannot claim, retrying');
          ready();
          await wakeup.sleep(retryDelay(failures));
          continue;
        }
        ready();
        // Jobs start before anything else is asked of the database. A job that ends frees a
        // slot, which the loop takes at once when it was full (it waits on the running jobs
        // then); a sleeping loop last found the queue without a ready job, so it wakes for a
        // retry when that is due, or on anything unexpected, not for every job done.
        for (const job of claimed) {
          const task: Promise<void> = runJob(ctx, queue, job, handler, settings)
            .then((retryIn) => {
              if (retryIn !== undefined) wakeup.after(retryIn);
            }, (error: unknown) => {
              ctx.logger.error({ err: error, queue, jobId: job.jobId }, 'embedded bus: job runner failed');
              wakeup.fire();
            })
            .finally(() => {
              running.delete(task);
            });
          running.add(task);
        }
        if (claimed.length === free) continue;
        if (Date.now() - purgedAt > PURGE_EVERY_MS) {
          purgedAt = Date.now();
          await purgeFinished(ctx.db, queue).catch(() => undefined);
        }
        // Wake for the next delayed job; failing to learn when only leaves it to the poll.
        const due = await nextDueMs(ctx.db, queue).catch(() => undefined);
        if (due !== undefined) wakeup.after(due);
        await wakeup.sleep(ctx.pollMs);
      }
      await Promise.allSettled([...running]);
    } finally {
      wakeup.close();
    }
  });
}
