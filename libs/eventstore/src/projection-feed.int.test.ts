import { connectNatsBus, createEmbeddedBus, type Bus, type StreamMessage, type Subscription } from '@cadre/bus';
import type { EventEnvelope } from '@cadre/proto';
import { createTestDatabase, eventually, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import {
  createEventStore, followProjection, outboxBacklog, runProjection, startOutboxRelay, type EventStore, type OutboxRelay, type ProjectionDefinition,
} from './index';
import { applyToCartTotals, createCartTotalsTable, resetCartTotals, type CartTotalsDb } from './test-support/cart-totals';
import { shopRegistry, shopRegistryV2 } from './test-support/events';

describe.each(['embedded', 'nats'] as const)('projections fed from the store and the %s bus', (transport) => {
  let database: TestDatabase;
  let nats: TestNats | undefined;
  let bus: Bus;
  /** A writer of the earlier release: it appends item_added at version 1. */
  let writer: EventStore;
  /** The same store as a reader upgraded since sees it: item_added is at version 2. */
  let reader: EventStore;
  let relay: OutboxRelay;

  beforeAll(async () => {
    database = await createTestDatabase(`eventstore_feed_${transport}`);
    nats = transport === 'nats' ? await startNats() : undefined;
    bus = nats ? await connectNatsBus({ servers: nats.url }) : await createEmbeddedBus({ databaseUrl: database.url });
    writer = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry() });
    reader = await createEventStore({ pool: writer.pool, schema: 'shop', registry: shopRegistryV2(), migrate: false });
    await createCartTotalsTable(writer.pool);
    relay = startOutboxRelay({ store: writer, bus });
  });

  afterAll(async () => {
    await relay?.stop();
    await bus?.drain();
    await writer?.close();
    await nats?.dispose();
    await database?.dispose();
  });

  const add = (cart: string, quantity: number) =>
    writer.append(`cart-${cart}`, 'any', [{ type: 'item_added', data: { cart_id: cart, sku: 's', quantity } }], { subjectScope: cart });
  const relayed = () => eventually(async () => expect(await outboxBacklog(writer)).toBe(0), 10_000, 20);
  const totals = async (cart: string) =>
    (await writer.pool.query('select units, events from shop.cart_totals where cart_id = $1', [cart])).rows;
  const start = (definition: ProjectionDefinition<CartTotalsDb>) => runProjection(definition, { pool: writer.pool, schema: 'shop', store: reader, bus });

  it('hands apply an event written at an older schema version upcast, whether it comes from the store or the bus', async () => {
    const seen: Array<{ event: EventEnvelope; position: number }> = [];
    await add('old-1', 1);
    await relayed();
    const worker = await start({ name: 'seen', events: ['item_added'], apply: async (event, _trx, position) => void seen.push({ event, position }) });
    try {
      // Built from the store: the event stored at version 1 is read upcast.
      expect(seen.map((s) => s.event.data)).toContainEqual({ cart_id: 'old-1', sku: 's', quantity: 1, shop: 'main' });
      const built = seen.length;
      // Published by the writer at version 1 after the projection started: it comes from the bus.
      const messages: StreamMessage[] = [];
      const watch: Subscription = await bus.events.replay({ fromSeq: (await bus.events.lastSeq()) + 1, filterSubject: 'evt.shop.item_added.old-2' }, (m) => void messages.push(m));
      await add('old-2', 2);
      await eventually(() => expect(seen).toHaveLength(built + 1), 10_000, 20);
      // The watch is a consumer of its own: the projection may have it first.
      await eventually(() => expect(messages).toHaveLength(1), 10_000, 20);
      await watch.stop();
      expect(messages.map((m) => m.json<EventEnvelope>().meta.schemaVersion)).toEqual([1]);
      const live = seen.at(-1)!;
      expect(live.event.data).toEqual({ cart_id: 'old-2', sku: 's', quantity: 2, shop: 'main' });
      expect(live.event.meta.schemaVersion).toBe(2);
      expect(live.position).toBe(messages[0]!.seq);
      await eventually(async () => expect(await worker.projection.position()).toBe(messages[0]!.seq));
    } finally {
      await worker.stop();
    }
  });

  it('builds a new projection from the store, then applies each event from the bus once, and goes on from its checkpoint after a restart', async () => {
    const definition: ProjectionDefinition<CartTotalsDb> = {
      name: 'feed_totals', events: ['item_added'], reset: resetCartTotals, apply: (event, trx) => applyToCartTotals(trx, event),
    };
    for (const quantity of [1, 2, 3]) await add('r', quantity);
    await relayed();
    let worker = await start(definition);
    expect(await totals('r')).toEqual([{ units: 6, events: 3 }]);
    await add('r', 4);
    await eventually(async () => expect(await totals('r')).toEqual([{ units: 10, events: 4 }]), 10_000, 20);
    await worker.stop();

    await add('r', 5);
    await relayed();
    worker = await start(definition);
    try {
      await eventually(async () => expect(await totals('r')).toEqual([{ units: 15, events: 5 }]), 10_000, 20);
      await eventually(async () => expect(await worker.projection.position()).toBe(await bus.events.lastSeq()));
      expect(await totals('r')).toEqual([{ units: 15, events: 5 }]);
    } finally {
      await worker.stop();
    }
  });

  it('passes over an event whose rows are already written without a transaction, and stores its position all the same', async () => {
    const applied: string[] = [];
    const worker = await start({
      name: 'passing_over', events: ['item_added'],
      alreadyApplied: (event) => event.data.cart_id === 'written',
      apply: async (event) => void applied.push(String(event.data.cart_id)),
    });
    try {
      await add('written', 1);
      await relayed();
      const seq = await bus.events.lastSeq();
      await eventually(async () => expect(await worker.projection.position()).toBe(seq), 10_000, 50);
      expect(applied).not.toContain('written');
      await add('unwritten', 1);
      await eventually(() => expect(applied).toContain('unwritten'), 10_000, 20);
    } finally {
      await worker.stop();
    }
  });

  it('writes the events of an order-free projection that arrive together in one transaction, and stores the highest position', async () => {
    const applied: string[] = [];
    const transactions = new Set<unknown>();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => { open = resolve; });
    const worker = await start({
      name: 'batched', events: ['item_added'], orderFree: true,
      apply: async (event, trx) => {
        if (!String(event.data.cart_id).startsWith('batch-')) return;
        transactions.add(trx);
        // The first transaction waits: everything arriving meanwhile waits for the next one.
        await gate;
        applied.push(String(event.data.cart_id));
      },
    });
    try {
      const ids = Array.from({ length: 30 }, (_, i) => `batch-${i}`);
      await writer.append('cart-batch', 'any', ids.map((id) => ({ type: 'item_added', data: { cart_id: id, sku: 's', quantity: 1 } })), { subjectScope: 'batch' });
      await relayed();
      await eventually(() => expect(transactions.size).toBe(1), 10_000, 20);
      // The other 29 reach the projection and wait while the first batch is written.
      await new Promise((resolve) => setTimeout(resolve, 300));
      open();
      await eventually(() => expect([...applied].sort()).toEqual([...ids].sort()), 10_000, 20);
      expect(transactions.size).toBeLessThanOrEqual(3);
      const seq = await bus.events.lastSeq();
      await eventually(async () => expect(await worker.projection.position()).toBe(seq), 10_000, 50);
    } finally {
      await worker.stop();
    }
  });

  it('hands a batch to applyMany in one call, a lone event to apply, and a failing batch to apply one by one', async () => {
    const batches: string[][] = [];
    const singles: string[] = [];
    let open!: () => void;
    let gate = new Promise<void>((resolve) => { open = resolve; });
    const mine = (event: EventEnvelope) => String(event.data.cart_id).startsWith('many-');
    const worker = await start({
      name: 'batched_many', events: ['item_added'], orderFree: true,
      apply: async (event, trx) => {
        if (!mine(event)) return;
        await gate;
        singles.push(String(event.data.cart_id));
        await applyToCartTotals(trx, event);
        if (event.data.cart_id === 'many-bad') throw new Error('this one cannot be applied');
      },
      applyMany: async (events, trx) => {
        const ids = events.filter(mine).map((event) => String(event.data.cart_id));
        batches.push(ids);
        for (const event of events.filter(mine)) await applyToCartTotals(trx, event);
        if (ids.includes('many-bad')) throw new Error('a batch with the bad one fails');
      },
    });
    try {
      const round = async (ids: readonly string[]) => {
        await writer.append('cart-many', 'any', ids.map((id) => ({ type: 'item_added', data: { cart_id: id, sku: 's', quantity: 1 } })), { subjectScope: 'many' });
        await relayed();
        // The first waits on the gate alone; the others arrive meanwhile and go together.
        await new Promise((resolve) => setTimeout(resolve, 300));
        open();
      };
      const good = Array.from({ length: 10 }, (_, i) => `many-${i}`);
      await round(good);
      for (const id of good) await eventually(async () => expect(await totals(id)).toEqual([{ units: 1, events: 1 }]), 10_000, 20);
      expect(singles).toEqual(['many-0']);
      expect(batches.flat().sort()).toEqual(good.slice(1).sort());
      expect(batches.length).toBeLessThanOrEqual(2);

      batches.length = 0;
      singles.length = 0;
      gate = new Promise<void>((resolve) => { open = resolve; });
      const second = ['many-a', 'many-b', 'many-bad', 'many-c'];
      await round(second);
      for (const id of ['many-a', 'many-b', 'many-c']) await eventually(async () => expect(await totals(id)).toEqual([{ units: 1, events: 1 }]), 10_000, 20);
      expect(await totals('many-bad')).toEqual([]);
      // The batch holding the bad one was rolled back and each of its events tried alone.
      expect(batches.some((ids) => ids.includes('many-bad'))).toBe(true);
      expect(singles).toEqual(expect.arrayContaining(['many-a', 'many-bad']));
    } finally {
      await worker.stop();
    }
  });

  it('applies the others of a batch when one of its events cannot be applied, each once', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => { open = resolve; });
    const worker = await start({
      name: 'batched_poison', events: ['item_added'], orderFree: true,
      apply: async (event, trx) => {
        const id = String(event.data.cart_id);
        if (!id.startsWith('poison-')) return;
        await gate;
        // Written first, so the failing batch has rows of the others to roll back.
        await applyToCartTotals(trx, event);
        if (id === 'poison-bad') throw new Error('this one cannot be applied');
      },
    });
    try {
      const ids = ['poison-0', 'poison-1', 'poison-bad', 'poison-2', 'poison-3'];
      await writer.append('cart-poison', 'any', ids.map((id) => ({ type: 'item_added', data: { cart_id: id, sku: 's', quantity: 1 } })), { subjectScope: 'poison' });
      await relayed();
      await new Promise((resolve) => setTimeout(resolve, 300));
      open();
      for (const id of ['poison-0', 'poison-1', 'poison-2', 'poison-3']) {
        await eventually(async () => expect(await totals(id)).toEqual([{ units: 1, events: 1 }]), 10_000, 20);
      }
      expect(await totals('poison-bad')).toEqual([]);
    } finally {
      await worker.stop();
    }
  });

  it('keeps an in-memory projection from the store and then the bus, each event upcast', async () => {
    await add('memory-1', 1);
    await relayed();
    const seen: EventEnvelope[] = [];
    const followed = await followProjection({ name: 'memory', events: ['item_added'], apply: (event) => void seen.push(event) }, { store: reader, bus });
    try {
      expect(seen.map((e) => e.data)).toContainEqual({ cart_id: 'memory-1', sku: 's', quantity: 1, shop: 'main' });
      await add('memory-2', 2);
      await eventually(() => expect(seen.map((e) => e.data.cart_id)).toContain('memory-2'), 10_000, 20);
      expect(seen.find((e) => e.data.cart_id === 'memory-2')).toMatchObject({ data: { shop: 'main' }, meta: { schemaVersion: 2 } });
      await eventually(async () => expect(followed.position()).toBe(await bus.events.lastSeq()));
    } finally {
      await followed.stop();
    }
  });
});
