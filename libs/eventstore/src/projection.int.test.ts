import { createTestDatabase, type TestDatabase } from '@cadre/testing';
import { createEventStore, createProjection, type EventStore, type Projection } from './index';
import { applyToCartTotals, createCartTotalsTable, resetCartTotals, type CartTotalsDb } from './test-support/cart-totals';
import { shopRegistry } from './test-support/events';

describe('projection', () => {
  let database: TestDatabase;
  let store: EventStore;
  let projection: Projection<CartTotalsDb>;

  beforeAll(async () => {
    database = await createTestDatabase('eventstore_proj');
    store = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry() });
    await createCartTotalsTable(store.pool);
    projection = await createProjection<CartTotalsDb>({
      pool: store.pool, schema: 'shop', name: 'cart_totals', events: ['item_added'], apply: (event, trx) => applyToCartTotals(trx, event),
    });
  });

  afterAll(async () => {
    await projection?.close();
    await store?.close();
    await database?.dispose();
  });

  const readModel = async () =>
    (await store.pool.query('select cart_id, units, events from shop.cart_totals order by cart_id')).rows;

  describe('when the same event is handled twice', () => {
    it('applies it once and keeps the checkpoint at its position', async () => {
      const { events, lastPosition } = await store.append('cart-a', 'no_stream', [{ type: 'item_added', data: { cart_id: 'a', sku: 'x', quantity: 2 } }]);
      const event = events[0]!;
      expect(await projection.handle(event, lastPosition)).toBe(true);
      expect(await projection.handle(event, lastPosition)).toBe(false);
      expect(await readModel()).toEqual([{ cart_id: 'a', units: 2, events: 1 }]);
      expect(await projection.position()).toBe(lastPosition);
    });

    it('skips events below the checkpoint too, and rolls back the checkpoint when apply fails', async () => {
      const failing = await createProjection<CartTotalsDb>({
        pool: store.pool, schema: 'shop', name: 'failing', events: ['item_added'],
        apply: async (event, trx) => {
          await applyToCartTotals(trx, event);
          throw new Error('read model broke');
        },
      });
      const { events, lastPosition } = await store.append('cart-b', 'no_stream', [{ type: 'item_added', data: { cart_id: 'b', sku: 'x', quantity: 1 } }]);
      await expect(failing.handle(events[0]!, lastPosition)).rejects.toThrow('read model broke');
      expect(await failing.position()).toBe(0);
      expect((await readModel()).map((r) => r.cart_id)).not.toContain('b');
      expect(await projection.handle(events[0]!, 1)).toBe(false);
    });
  });

  describe('when order-free', () => {
    it('applies an event that comes after a later one, and keeps the highest position as its checkpoint', async () => {
      const applied: string[] = [];
      const orderFree = await createProjection({
        pool: store.pool, schema: 'shop', name: 'order_free', events: ['item_added'], orderFree: true,
        apply: async (event) => void applied.push(String(event.data.cart_id)),
      });
      const first = await store.append('cart-of-1', 'no_stream', [{ type: 'item_added', data: { cart_id: 'of-1', sku: 'x', quantity: 1 } }]);
      const second = await store.append('cart-of-2', 'no_stream', [{ type: 'item_added', data: { cart_id: 'of-2', sku: 'x', quantity: 1 } }]);
      expect(await orderFree.handle(second.events[0]!, second.lastPosition)).toBe(true);
      expect(await orderFree.handle(first.events[0]!, first.lastPosition)).toBe(true);
      expect(applied).toEqual(['of-2', 'of-1']);
      expect(await orderFree.position()).toBe(second.lastPosition);
    });
  });

  describe('when rebuilt from the event store', () => {
    it('produces the same read model as live handling did', async () => {
      // Live: handle every event of the store once, in order, as a relay-fed consumer would.
      for (let i = 0; i < 40; i++) {
        await store.append(`cart-${i % 5}`, 'any', [{ type: 'item_added', data: { cart_id: `c${i % 5}`, sku: 's', quantity: (i % 3) + 1 } }]);
      }
      for await (const { event, position } of store.iterateAll()) await projection.handle(event, position);
      const live = await readModel();
      const livePosition = await projection.position();

      const result = await projection.rebuild(store.iterateAll({ batchSize: 7 }), { reset: resetCartTotals });
      expect(await readModel()).toEqual(live);
      expect(result.position).toBe(livePosition);
      expect(result.applied).toBe((await store.readAll()).length);
    });

    it('starts from zero: reset empties the model and the checkpoint together', async () => {
      await projection.reset(resetCartTotals);
      expect(await readModel()).toEqual([]);
      expect(await projection.position()).toBe(0);
    });
  });
});
