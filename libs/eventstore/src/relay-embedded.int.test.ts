import { createEmbeddedBus, type Bus } from '@cadre/bus';
import { createTestDatabase, eventually, type TestDatabase } from '@cadre/testing';
import { createEventStore, createProjection, runProjectionFromBus, startOutboxRelay, type EventStore, type OutboxRelay } from './index';
import { applyToCartTotals, createCartTotalsTable, type CartTotalsDb } from './test-support/cart-totals';
import { shopRegistry } from './test-support/events';
import { collect, distinctIds, verifyDelivery, writeLoad } from './test-support/load';

describe('outbox relay on the embedded bus', () => {
  let database: TestDatabase;
  let store: EventStore;
  let bus: Bus;
  let relay: OutboxRelay;

  beforeAll(async () => {
    database = await createTestDatabase('eventstore_embedded');
    store = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry() });
    bus = await createEmbeddedBus({ databaseUrl: database.url });
    relay = startOutboxRelay({ store, bus });
  });

  afterAll(async () => {
    await relay?.stop();
    await bus?.drain();
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
