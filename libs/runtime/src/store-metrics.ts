import { Counter, Gauge, type Registry } from 'prom-client';
import { readForScrape } from './scrape';

/** The hooks of an event store and its outbox relay that feed a service's metrics. */
export interface EventStoreMetrics {
  /** Pass as the event store's `onAppended`: counts committed events by domain and type. */
  readonly onAppended: (events: ReadonlyArray<{ readonly domain: string; readonly type: string }>) => void;
  /** Pass as the outbox relay's `onCounter`. */
  readonly onRelayCounter: (name: string, increment: number) => void;
  /** Reports `cadre_outbox_backlog_events` from `read` (e.g. `() => outboxBacklog(store)`) at each scrape. */
  watchBacklog(read: () => Promise<number>): void;
}

const created = new WeakMap<Registry, EventStoreMetrics>();

/**
 * The event store and outbox metrics of a service, on its registry (created once per registry;
 * a second call returns the same hooks):
 * `cadre_events_appended_total{domain,type}`, `cadre_outbox_events_published_total`,
 * `cadre_outbox_duplicates_total`, `cadre_outbox_batches_total`,
 * `cadre_outbox_failures_total{stage}`, `cadre_outbox_listener_reconnects_total` and the
 * `cadre_outbox_backlog_events` gauge.
 */
export function eventStoreMetrics(registry: Registry): EventStoreMetrics {
  const existing = created.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const appended = new Counter({
    name: 'cadre_events_appended_total',
    help: 'Events committed to the service\'s event store, by domain and type',
    labelNames: ['domain', 'type'] as const,
    registers,
  });
  const published = new Counter({ name: 'cadre_outbox_events_published_total', help: 'Events the outbox relay published to the bus (duplicates included)', registers });
  const duplicates = new Counter({ name: 'cadre_outbox_duplicates_total', help: 'Events the bus dropped as already published (a re-publish after a crash or a failed batch)', registers });
  const batches = new Counter({ name: 'cadre_outbox_batches_total', help: 'Outbox relay batches that published at least one event', registers });
  const failures = new Counter({
    name: 'cadre_outbox_failures_total',
    help: 'Outbox relay failures, by stage: publish (the bus refused or timed out) or batch (the database failed)',
    labelNames: ['stage'] as const,
    registers,
  });
  const reconnects = new Counter({ name: 'cadre_outbox_listener_reconnects_total', help: 'Reconnections of the outbox relay\'s LISTEN connection', registers });
  const backlogReads: Array<() => Promise<number>> = [];
  new Gauge({
    name: 'cadre_outbox_backlog_events',
    help: 'Events committed to the event store and not yet published by the outbox relay (read at scrape time)',
    registers,
    async collect() {
      if (backlogReads.length === 0) return;
      const values = await Promise.all(backlogReads.map((read) => readForScrape(read)));
      // The database is away: the last value stays rather than a false zero.
      if (values.every((v) => v !== undefined)) this.set(values.reduce((sum: number, v) => sum + (v ?? 0), 0));
    },
  });

  const hooks: EventStoreMetrics = {
    onAppended: (events) => {
      for (const event of events) appended.inc({ domain: event.domain, type: event.type });
    },
    onRelayCounter: (name, increment) => {
      switch (name) {
        case 'published': return published.inc(increment);
        case 'duplicates': return duplicates.inc(increment);
        case 'batches': return batches.inc(increment);
        case 'publish_failures': return failures.inc({ stage: 'publish' }, increment);
        case 'batch_failures': return failures.inc({ stage: 'batch' }, increment);
        case 'listener_reconnects': return reconnects.inc(increment);
        default: return undefined;
      }
    },
    watchBacklog: (read) => void backlogReads.push(read),
  };
  created.set(registry, hooks);
  return hooks;
}
