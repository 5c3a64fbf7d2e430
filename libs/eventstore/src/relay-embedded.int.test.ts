import { createEmbeddedBus, type Bus } from '@cadre/bus';
import { Pool } from 'pg';
import { countStatements, createTestDatabase, eventually, type TestDatabase } from '@cadre/testing';
import { createEventStore, createProjection, runProjectionFromBus, startOutboxRelay, type EventStore, type OutboxRelay } from './index';
import { applyToCartTotals, createCartTotalsTable, type CartTotalsDb } from './test-support/cart-totals';
import { shopRegistry } from './test-support/events';
import { collect, distinctIds, verifyDelivery, writeLoad } from './test-support/load';

describe('outbox relay on the embedded bus', () => {
  let database: TestDatabase;
  let store: EventStore;
  let bus: Bus;
  let relay: OutboxRelay;
  let busPool: Pool;
  let counts: Map<string, number>;

  beforeAll(async () => {
    database = await createTestDatabase('eventstore_embedded');
    store = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry() });
    busPool = new Pool({ connectionString: database.url, max: 10 });
    counts = countStatements(busPool, { publish: /publish(_many)?"?\(/ });
    bus = await createEmbeddedBus({ pool: busPool });
    relay = startOutboxRelay({ store, bus });
  });

  afterAll(async () => {
    await relay?.stop();
    await bus?.drain();
    await busPool?.end();
    await store?.close();
    await database?.dispose();
  });

  it('gets appended events to a durable consumer, once each and in stream order', async () => {
    const { received, subscription } = await collect(bus, 'embedded-smoke', 'evt.shop.tick.>');
    const appended = await writeLoad({ store, streams: 10, eventsPerStream: 20, writers: 4 });
    await eventually(() => expect(distinctIds(received)).toBe(200), 20_000, 100);
    await subscription.stop();
    expect(verifyDelivery(appended, received)).toMatchObject({ missing: 0, unexpected: 0, outOfOrder: [], storedTwice: 0 });
  });

  // One after another, each after the last one's ack, 20 events were 20 round trips with the
  // stream's lock taken 20 times; a long append goes 256 events a statement.
  it.each([[20, 1], [600, 3]])('publishes an append of %i events in %i statement(s), in order', async (length, statements) => {
    const stream = `cart-${length}`;
    const { received, subscription } = await collect(bus, `embedded-append-${length}`, 'evt.shop.tick.>');
    counts.clear();
    const { events } = await store.append(stream, 'no_stream', Array.from({ length }, (_, i) => ({ type: 'tick', data: { n: i + 1 } })));
    const mine = () => received.filter((m) => m.event.stream === stream);
    await eventually(() => expect(mine().map((m) => m.event.id)).toEqual(events.map((e) => e.id)), 20_000, 50);
    await subscription.stop();
    expect(counts.get('publish')).toBe(statements);
    // One statement holds the stream's lock throughout: its messages take consecutive sequences.
    const seqs = mine().map((m) => m.seq);
    if (statements === 1) expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    else expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('feeds a projection from a durable consumer, using the stream sequence as its position', async () => {
    await createCartTotalsTable(store.pool);
    const projection = await createProjection<CartTotalsDb>({ pool: store.pool, schema: 'shop', name: 'embedded_totals', events: ['item_added'], apply: (e, trx) => applyToCartTotals(trx, e) });
    const subscription = await runProjectionFromBus(projection, bus, { durable: 'embedded-totals', filterSubject: 'evt.shop.item_added.>', registry: shopRegistry() });
    try {
      await store.append('cart-e', 'no_stream', [
        { type: 'item_added', data: { cart_id: 'e', sku: 'a', quantity: 2 } },
        { type: 'item_added', data: { cart_id: 'e', sku: 'b', quantity: 3 } },
      ]);
      await eventually(async () => {
        const { rows } = await store.pool.query("select units, events from shop.cart_totals where cart_id = 'e'");
        expect(rows).toEqual([{ units: 5, events: 2 }]);
      }, 10_000, 50);
      expect(await projection.position()).toBeGreaterThan(0);
    } finally {
      await subscription.stop();
      await projection.close();
    }
  });
});
