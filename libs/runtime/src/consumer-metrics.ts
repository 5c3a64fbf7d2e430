import type { ConsumerLag, EventStream } from '@cadre/bus';
import { Gauge, type Registry } from 'prom-client';
import { readForScrape } from './scrape';

type LagSource = Pick<EventStream, 'consumerLag'>;

const watched = new WeakMap<Registry, Map<string, LagSource>>();

/**
 * Reports the lag of a durable consumer on the registry, read from the bus at each scrape:
 * `cadre_consumer_pending_messages{consumer}` (matching events not yet delivered: JetStream's
 * `num_pending`) and `cadre_consumer_ack_pending_messages{consumer}` (delivered, not yet
 * acked). Replicas of a consumer report the same figures, each under its own instance label.
 * `startService` watches every durable consumer subscription it is given to track; watching a
 * consumer twice is harmless.
 */
export function watchConsumerLag(registry: Registry, events: LagSource, durable: string): void {
  let consumers = watched.get(registry);
  if (!consumers) {
    consumers = registerLagGauges(registry);
    watched.set(registry, consumers);
  }
  consumers.set(durable, events);
}

function registerLagGauges(registry: Registry): Map<string, LagSource> {
  const consumers = new Map<string, LagSource>();
  // A scrape collects both gauges at once: they share one read of each consumer.
  let inFlight: Promise<Map<string, ConsumerLag>> | undefined;
  const readAll = (): Promise<Map<string, ConsumerLag>> =>
    (inFlight ??= (async () => {
      const lags = new Map<string, ConsumerLag>();
      await Promise.all([...consumers.entries()].map(async ([consumer, source]) => {
        const lag = await readForScrape(() => source.consumerLag(consumer));
        // Away or deleted: the last values stay rather than a false zero.
        if (lag !== undefined) lags.set(consumer, lag);
      }));
      return lags;
    })().finally(() => {
      inFlight = undefined;
    }));
  const gauge = (name: string, help: string, pick: (lag: ConsumerLag) => number): Gauge<'consumer'> =>
    new Gauge({
      name, help, labelNames: ['consumer'] as const, registers: [registry],
      async collect() {
        for (const [consumer, lag] of await readAll()) this.set({ consumer }, pick(lag));
      },
    });
  gauge('cadre_consumer_pending_messages', 'Events matching a durable consumer that it has not been given yet, by consumer (read at scrape time)', (lag) => lag.pending);
  gauge('cadre_consumer_ack_pending_messages', 'Events delivered to a durable consumer and not yet acknowledged, by consumer (read at scrape time)', (lag) => lag.ackPending);
  return consumers;
}
