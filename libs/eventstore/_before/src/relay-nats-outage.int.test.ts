import { connectNatsBus, type Bus } from '@cadre/bus';
import { createTestDatabase, eventually, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import { createEventStore, startOutboxRelay, type EventStore, type OutboxRelay, type RelayCounter } from './index';
import { shopRegistry } from './test-support/events';
import { collect, distinctIds, verifyDelivery, writeLoad } from './test-support/load';

const STREAMS = 100;
const PER_STREAM = 50;
const TOTAL = STREAMS * PER_STREAM;

describe('outbox relay when the NATS server goes down', () => {
  let database: TestDatabase;
  let nats: TestNats;
  let store: EventStore;
  let bus: Bus;
  let relay: OutboxRelay;

  beforeAll(async () => {
    [database, nats] = await Promise.all([createTestDatabase('eventstore_nats_fault'), startNats({ controllable: true })]);
    store = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry(), maxConnections: 20 });
    bus = await connectNatsBus({ servers: nats.url });
  });

  afterAll(async () => {
    await relay?.stop();
    await bus?.drain();
    await store?.close();
    await nats?.dispose();
    await database?.dispose();
  });

  it('delivers all 5,000 events once each, every stream in order, after NATS is stopped and started again', async () => {
    const counters = new Map<RelayCounter, number>();
    relay = startOutboxRelay({
      store, bus, batchSize: 100, retryMinMs: 50, retryMaxMs: 500, publishTimeoutMs: 2_000,
      onCounter: (name, n) => counters.set(name, (counters.get(name) ?? 0) + n),
    });
    const { received, subscription } = await collect(bus, 'nats-outage', 'evt.shop.>');

    let outage: Promise<void> | undefined;
    let backlogDuringOutage = 0;
    const load = writeLoad({
      store, streams: STREAMS, eventsPerStream: PER_STREAM, writers: 8, pauseMs: 10,
      onProgress: (appended) => {
        if (outage || appended < TOTAL / 5) return;
        outage = (async () => {
          await nats.stop({ hard: true });
          await new Promise((r) => setTimeout(r, 3_000));
          const { rows } = await store.pool.query<{ n: string }>('select count(*) as n from shop.outbox');
          backlogDuringOutage = Number(rows[0]?.n);
          await nats.start();
        })();
      },
    });
    const appended = await load;
    await outage;

    await eventually(() => expect(distinctIds(received)).toBe(TOTAL), 40_000, 200);
    await subscription.stop();
    const report = verifyDelivery(appended, received);
    console.log(JSON.stringify({ report: { ...report, outOfOrder: report.outOfOrder.length }, backlogDuringOutage, counters: [...counters], errors: [...appended.errors] }));
    expect(report).toMatchObject({ missing: 0, unexpected: 0, outOfOrder: [], storedTwice: 0 });
    // The outage really held events back, and the relay saw publishes fail and retried them.
    expect(backlogDuringOutage).toBeGreaterThan(0);
    expect(counters.get('publish_failures') ?? 0).toBeGreaterThan(0);
    expect(appended.untyped).toEqual([]);
    const { rows } = await store.pool.query<{ n: string }>('select count(*) as n from shop.outbox');
    expect(Number(rows[0]?.n)).toBe(0);
  });
});
