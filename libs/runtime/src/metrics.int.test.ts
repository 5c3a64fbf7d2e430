import { z } from 'zod';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { createEventStore, outboxBacklog, startOutboxRelay } from '@cadre/eventstore';
import { silentLogger } from '@cadre/logging';
import { ConcurrencyError, EventRegistry, defineEvent } from '@cadre/proto';
import { createServiceMetrics, eventStoreMetrics, startService, watchQueueDepth, type Service } from '@cadre/runtime';
import { createTestDatabase, eventually, parsePrometheus, promValue, startNats, type TestDatabase, type TestNats } from '@cadre/testing';

const thingDone = defineEvent({
  type: 'thing_done', domain: 'sample', version: 1, description: 'A thing was done',
  data: z.object({ n: z.number().int() }),
});
const thingUndone = defineEvent({
  type: 'thing_undone', domain: 'sample', version: 1, description: 'A thing was undone',
  data: z.object({ n: z.number().int() }),
});
const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe.each(['embedded', 'nats'] as const)('service metrics on the %s bus', (transport) => {
  let database: TestDatabase;
  let nats: TestNats | undefined;
  let service: Service;
  let bus: Bus;
  const connect = (name: string): Promise<Bus> =>
    nats ? connectNatsBus({ servers: nats.url, name }) : createEmbeddedBus({ databaseUrl: database.url });

  beforeAll(async () => {
    database = await createTestDatabase('runtime_metrics');
    nats = transport === 'nats' ? await startNats() : undefined;
    bus = await connect('sample');
    service = await startService({
      name: 'sample', version: '1.0.0', instance: 'sample-1', bus, logger: silentLogger(), probePort: 0,
      metrics: createServiceMetrics('sample', 'sample-1'),
    });
  });
  afterAll(async () => {
    await service?.shutdown('test over');
    await nats?.dispose();
    await database?.dispose();
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(`http://127.0.0.1:${service.probePort}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  it('reports the lag of a tracked durable consumer: undelivered and unacked events, zero once caught up, and what waits while it is stopped', async () => {
    const durable = `lagging_${transport}`;
    const filterSubject = `evt.lagtest_${transport}.>`;
    const publish = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) await bus.events.publish(`evt.lagtest_${transport}.tick`, bytes({ i }), { msgId: `${durable}-${Date.now()}-${i}` });
    };
    await publish(5);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let handled = 0;
    // Holds every event until released, with at most two unacked at once.
    const subscription = await bus.events.consume({ durable, filterSubject, maxAckPending: 2, ackWaitMs: 60_000 }, async (message) => {
      handled++;
      await gate;
      await message.ack();
    });
    service.track(subscription);
    const lag = async () => {
      const text = await scrape();
      return {
        pending: promValue(text, 'cadre_consumer_pending_messages', { consumer: durable, service: 'sample' }),
        ackPending: promValue(text, 'cadre_consumer_ack_pending_messages', { consumer: durable, service: 'sample' }),
      };
    };
    await eventually(async () => expect(await lag()).toEqual({ pending: 3, ackPending: 2 }));
    release();
    await eventually(async () => expect(await lag()).toEqual({ pending: 0, ackPending: 0 }));
    expect(handled).toBe(5);

    // Stopped, the consumer falls behind by every event published meanwhile.
    await subscription.stop();
    await publish(4);
    await eventually(async () => {
      const { pending = 0, ackPending = 0 } = await lag();
      expect(pending + ackPending).toBe(4);
    });
  });

  it('reports the depth of a watched work queue: the jobs enqueued, then zero once they are done', async () => {
    const queue = bus.workQueue(`depth_${transport}`);
    watchQueueDepth(service.metrics.registry, queue);
    for (let i = 0; i < 3; i++) await queue.enqueue(bytes({ i }));
    expect(promValue(await scrape(), 'cadre_work_queue_depth', { queue: queue.name })).toBe(3);
    let done = 0;
    const worker = await queue.process(async () => void done++, { concurrency: 2 });
    try {
      await eventually(async () => expect(promValue(await scrape(), 'cadre_work_queue_depth', { queue: queue.name })).toBe(0));
      expect(done).toBe(3);
    } finally {
      await worker.stop();
    }
  });

  it('counts committed events by domain and type, the outbox backlog, and what the relay published', async () => {
    const hooks = eventStoreMetrics(service.metrics.registry);
    // A second call on the same registry registers nothing twice.
    expect(eventStoreMetrics(service.metrics.registry)).toBe(hooks);
    const store = await createEventStore({
      databaseUrl: database.url, schema: `sample_${transport}`, registry: new EventRegistry([thingDone, thingUndone]), onAppended: hooks.onAppended,
    });
    hooks.watchBacklog(() => outboxBacklog(store));
    try {
      await store.append('thing-1', 'no_stream', [{ type: 'thing_done', data: { n: 1 } }, { type: 'thing_undone', data: { n: 1 } }]);
      await store.append('thing-1', 2, [{ type: 'thing_done', data: { n: 2 } }]);
      await expect(store.append('thing-1', 2, [{ type: 'thing_done', data: { n: 3 } }])).rejects.toBeInstanceOf(ConcurrencyError);

      let text = await scrape();
      expect(promValue(text, 'cadre_events_appended_total', { domain: 'sample', type: 'thing_done' })).toBe(2);
      expect(promValue(text, 'cadre_events_appended_total', { domain: 'sample', type: 'thing_undone' })).toBe(1);
      // Nothing relays yet: all three wait in the outbox.
      expect(promValue(text, 'cadre_outbox_backlog_events')).toBe(3);
      expect(promValue(text, 'cadre_outbox_events_published_total')).toBe(0);

      const relay = startOutboxRelay({ store, bus, pollIntervalMs: 50, onCounter: hooks.onRelayCounter });
      try {
        await eventually(async () => {
          text = await scrape();
          expect(promValue(text, 'cadre_outbox_events_published_total')).toBe(3);
          expect(promValue(text, 'cadre_outbox_backlog_events')).toBe(0);
        });
        expect(promValue(text, 'cadre_outbox_batches_total')).toBeGreaterThanOrEqual(1);
        expect(promValue(text, 'cadre_outbox_duplicates_total')).toBe(0);
      } finally {
        await relay.stop();
      }
    } finally {
      await store.close();
    }
  });

  it('serves the metrics of another service of the process beside its own, each metric named once', async () => {
    const otherBus = await connect('other');
    // Same metric names in one process: each service has its own registry, so nothing throws.
    const other = await startService({ name: 'other', version: '1.0.0', instance: 'other-1', bus: otherBus, logger: silentLogger() });
    try {
      await other.handle({ [`other_${transport}.qry.echo`]: (payload) => payload });
      await bus.request(`other_${transport}.qry.echo`, { a: 1 });
      await bus.request(`other_${transport}.qry.echo`, { a: 2 });
      service.exposeMetrics(other.metrics.registry);
      service.exposeMetrics(other.metrics.registry);

      const text = await scrape();
      const samples = parsePrometheus(text);
      expect(promValue(text, 'cadre_handler_duration_seconds_count', { service: 'other', instance: 'other-1', outcome: 'ok' })).toBe(2);
      expect(samples.some((s) => s.name === 'cadre_process_cpu_user_seconds_total' && s.labels.service === 'sample')).toBe(true);
      expect(samples.some((s) => s.name === 'cadre_process_cpu_user_seconds_total' && s.labels.service === 'other')).toBe(true);
      // One HELP and TYPE per name, whatever the number of registries behind it.
      const helps = text.split('\n').filter((line) => line.startsWith('# HELP '));
      expect(new Set(helps).size).toBe(helps.length);
      expect(helps.filter((line) => line.startsWith('# HELP cadre_handler_duration_seconds '))).toHaveLength(1);
      // No series is served twice.
      const keys = samples.map((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`);
      expect(new Set(keys).size).toBe(keys.length);
    } finally {
      await other.shutdown('test over');
    }
  });
});
