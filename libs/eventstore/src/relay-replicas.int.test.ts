import { connectNatsBus, type Bus } from '@cadre/bus';
import { createTestDatabase, eventually, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import { createEventStore, startOutboxRelay, type EventStore, type OutboxRelay, type RelayCounter } from './index';
import { publishingEach } from './test-support/bus';
import { shopRegistry } from './test-support/events';
import { collect, distinctIds, verifyDelivery, writeLoad } from './test-support/load';

const STREAMS = 100;
const PER_STREAM = 50;
const TOTAL = STREAMS * PER_STREAM;

interface Gauge {
  /** Publishes in flight by replica, and by stream. */
  readonly byReplica: Map<number, number>;
  readonly byStream: Map<string, number>;
  /** Most replicas with a publish in flight at one moment (must stay 1), and most publishes in flight (the window). */
  replicasMax: number;
  inFlightMax: number;
  /** Times a stream had two publishes in flight at once (must stay 0). */
  sameStream: number;
}

/** The bus as one relay replica sees it, counting publishes in flight by replica and by stream across all replicas. */
function observed(bus: Bus, gauge: Gauge, replica: number): Pick<Bus, 'events'> {
  const bump = <K>(map: Map<K, number>, key: K, by: number): number => {
    const n = (map.get(key) ?? 0) + by;
    map.set(key, n);
    return n;
  };
  return {
    events: publishingEach(bus.events, async (subject, data, options) => {
      const stream = (JSON.parse(Buffer.from(data).toString()) as { stream: string }).stream;
      bump(gauge.byReplica, replica, 1);
      if (bump(gauge.byStream, stream, 1) > 1) gauge.sameStream++;
      gauge.replicasMax = Math.max(gauge.replicasMax, [...gauge.byReplica.values()].filter((n) => n > 0).length);
      gauge.inFlightMax = Math.max(gauge.inFlightMax, [...gauge.byReplica.values()].reduce((a, b) => a + b, 0));
      try {
        return await bus.events.publish(subject, data, options);
      } finally {
        bump(gauge.byReplica, replica, -1);
        bump(gauge.byStream, stream, -1);
      }
    }),
  };
}

describe('outbox relay with several replicas', () => {
  let database: TestDatabase;
  let nats: TestNats;
  let stores: EventStore[];
  let bus: Bus;
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    [database, nats] = await Promise.all([createTestDatabase('eventstore_replicas'), startNats()]);
    // Each replica has its own pool, as separate processes would.
    stores = await Promise.all([0, 1, 2].map(() => createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry(), maxConnections: 12 })));
    bus = await connectNatsBus({ servers: nats.url });
  });

  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await bus?.drain();
    await Promise.all((stores ?? []).map((s) => s.close()));
    await nats?.dispose();
    await database?.dispose();
  });

  it('never publishes from two replicas at once; all 5,000 events arrive once each, in stream order', async () => {
    const gauge: Gauge = { byReplica: new Map(), byStream: new Map(), replicasMax: 0, inFlightMax: 0, sameStream: 0 };
    const published: Array<Map<RelayCounter, number>> = [];
    const start = (store: EventStore): OutboxRelay => {
      const counters = new Map<RelayCounter, number>();
      published.push(counters);
      const relay = startOutboxRelay({
        store, bus: observed(bus, gauge, published.length - 1), batchSize: 25, pollIntervalMs: 100,
        onCounter: (name, n) => counters.set(name, (counters.get(name) ?? 0) + n),
      });
      relays.push(relay);
      return relay;
    };
    start(stores[0]!);
    start(stores[1]!);
    const { received, subscription } = await collect(bus, 'replicas', 'evt.shop.>');

    // Half-way, the busiest replica leaves and a third joins: the others must take over.
    let handover: Promise<void> | undefined;
    const appended = await writeLoad({
      store: stores[2]!, streams: STREAMS, eventsPerStream: PER_STREAM, writers: 8, pauseMs: 5,
      onProgress: (n) => {
        if (handover || n < TOTAL / 2) return;
        const busiest = published.reduce((best, c, i) => ((c.get('published') ?? 0) > (published[best]?.get('published') ?? 0) ? i : best), 0);
        handover = relays[busiest]!.stop().then(() => void start(stores[2]!));
      },
    });
    await handover;

    await eventually(() => expect(distinctIds(received)).toBe(TOTAL), 40_000, 200);
    await subscription.stop();
    const report = verifyDelivery(appended, received);
    console.log(JSON.stringify({
      report: { ...report, outOfOrder: report.outOfOrder.length }, replicasMax: gauge.replicasMax, inFlightMax: gauge.inFlightMax,
      published: published.map((c) => c.get('published') ?? 0),
    }));
    expect(report).toMatchObject({ missing: 0, unexpected: 0, outOfOrder: [], storedTwice: 0 });
    // One replica publishes at a time (several streams side by side), never two events of one stream at once.
    expect(gauge.replicasMax).toBe(1);
    expect(gauge.sameStream).toBe(0);
    expect(published.reduce((sum, c) => sum + (c.get('published') ?? 0), 0)).toBe(TOTAL);
    expect(published.filter((c) => (c.get('published') ?? 0) > 0).length).toBeGreaterThanOrEqual(2);
  });
});
