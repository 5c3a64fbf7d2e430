import { connectNatsBus, type Bus } from '@cadre/bus';
import { UnavailableError } from '@cadre/proto';
import { eventually, startEmbeddedPostgres, startNats, type EmbeddedPostgresServer, type TestNats } from '@cadre/testing';
import { createEventStore, startOutboxRelay, type EventStore, type OutboxRelay, type RelayCounter } from './index';
import { shopRegistry } from './test-support/events';
import { collect, distinctIds, verifyDelivery, writeLoad } from './test-support/load';

const STREAMS = 100;
const PER_STREAM = 50;
const TOTAL = STREAMS * PER_STREAM;

describe('outbox relay when the Postgres server goes down', () => {
  let postgres: EmbeddedPostgresServer;
  let nats: TestNats;
  let store: EventStore;
  let bus: Bus;
  let relay: OutboxRelay;

  beforeAll(async () => {
    [postgres, nats] = await Promise.all([startEmbeddedPostgres(), startNats()]);
    store = await createEventStore({ databaseUrl: postgres.url, schema: 'shop', registry: shopRegistry(), maxConnections: 20 });
    bus = await connectNatsBus({ servers: nats.url });
  });

  afterAll(async () => {
    await relay?.stop();
    await bus?.drain();
    await store?.close();
    await nats?.dispose();
    await postgres?.dispose();
  });

  it('delivers all 5,000 events once each, every stream in order, after Postgres is stopped and started again', async () => {
    const counters = new Map<RelayCounter, number>();
    relay = startOutboxRelay({
      store, bus, batchSize: 100, pollIntervalMs: 500, retryMinMs: 50, retryMaxMs: 500,
      onCounter: (name, n) => counters.set(name, (counters.get(name) ?? 0) + n),
    });
    const { received, subscription } = await collect(bus, 'pg-outage', 'evt.shop.>');

    let outage: Promise<void> | undefined;
    const load = writeLoad({
      store, streams: STREAMS, eventsPerStream: PER_STREAM, writers: 8, pauseMs: 10,
      onProgress: (appended) => {
        if (outage || appended < TOTAL / 4) return;
        outage = (async () => {
          await postgres.stop();
          await new Promise((r) => setTimeout(r, 2_000));
          await postgres.start();
        })();
      },
    });
    const appended = await load;
    await outage;

    await eventually(() => expect(distinctIds(received)).toBe(TOTAL), 40_000, 200);
    await subscription.stop();
    const report = verifyDelivery(appended, received);
    console.log(JSON.stringify({ report: { ...report, outOfOrder: report.outOfOrder.length }, counters: [...counters], errors: [...appended.errors] }));
    expect(report).toMatchObject({ missing: 0, unexpected: 0, outOfOrder: [], storedTwice: 0 });
    // Writers met the outage as a typed, retryable error, and the relay lived through it.
    expect(appended.errors.get(UnavailableError.name) ?? 0).toBeGreaterThan(0);
    expect(appended.untyped).toEqual([]);
    expect(counters.get('batch_failures') ?? 0).toBeGreaterThan(0);
    await eventually(async () => {
      const { rows } = await store.pool.query<{ n: string }>('select count(*) as n from shop.outbox');
      expect(Number(rows[0]?.n)).toBe(0);
    });
  });
});
