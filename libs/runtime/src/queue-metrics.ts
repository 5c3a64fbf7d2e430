import type { WorkQueue } from '@cadre/bus';
import { Gauge, type Registry } from 'prom-client';
import { readForScrape } from './scrape';

const gauges = new WeakMap<Registry, { gauge: Gauge<'queue'>; queues: Map<string, WorkQueue> }>();

/**
 * Reports `cadre_work_queue_depth{queue}` (jobs waiting or in flight) on the registry, read
 * from the bus at each scrape, so it costs nothing between scrapes. Watching a queue twice is
 * harmless.
 */
export function watchQueueDepth(registry: Registry, queue: WorkQueue): void {
  let entry = gauges.get(registry);
  if (!entry) {
    const queues = new Map<string, WorkQueue>();
    const gauge = new Gauge({
      name: 'cadre_work_queue_depth',
      help: 'Jobs waiting or in flight, by work queue (read at scrape time)',
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        await Promise.all([...queues.values()].map(async (q) => {
          const depth = await readForScrape(() => q.depth());
          // The bus is away: the last value stays rather than a false zero.
          if (depth !== undefined) this.set({ queue: q.name }, depth);
        }));
      },
    });
    entry = { gauge, queues };
    gauges.set(registry, entry);
  }
  entry.queues.set(queue.name, queue);
}
