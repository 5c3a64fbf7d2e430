import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { ConcurrencyError, ConflictError, ValidationError } from '@cadre/proto';
import { createTestDatabase, eventually, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import { createEventStore, outboxBacklog, startOutboxRelay, type AppendedEventRef, type RelayCounter } from './index';
import { shopRegistry } from './test-support/events';

const item = (sku: string) => ({ type: 'item_added', data: { cart_id: 'c', sku, quantity: 1 } });

describe('event store figures for metrics', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('eventstore_metrics');
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('reports each committed event once, by domain and type, and nothing of an append that failed', async () => {
    const heard: AppendedEventRef[][] = [];
    const store = await createEventStore({ databaseUrl: database.url, schema: 'shop_heard', registry: shopRegistry(), onAppended: (events) => void heard.push([...events]) });
    try {
      await store.append('cart-1', 'no_stream', [item('a')]);
      await store.append('cart-1', 1, [item('b'), item('c'), { type: 'cart_checked_out', data: { cart_id: 'c', total: 3 } }]);
      // Wrong version, bad data, an id used twice: nothing is written, so nothing is counted.
      await expect(store.append('cart-1', 1, [item('d')])).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store.append('cart-2', 'no_stream', [{ type: 'item_added', data: { cart_id: 'c' } }])).rejects.toBeInstanceOf(ValidationError);
      const [first] = (await store.readStream('cart-1'));
      await expect(store.append('cart-3', 'no_stream', [{ ...item('e'), id: first!.id }])).rejects.toBeInstanceOf(ConflictError);

      expect(heard).toEqual([
        [{ domain: 'shop', type: 'item_added' }],
        [{ domain: 'shop', type: 'item_added' }, { domain: 'shop', type: 'item_added' }, { domain: 'shop', type: 'cart_checked_out' }],
      ]);
      expect(heard.flat()).toHaveLength((await store.readAll()).length);
    } finally {
      await store.close();
    }
  });

  it('keeps an append that committed even when the listener throws', async () => {
    const store = await createEventStore({ databaseUrl: database.url, schema: 'shop_throws', registry: shopRegistry(), onAppended: () => { throw new Error('metrics broke'); } });
    try {
      await expect(store.append('cart-1', 'no_stream', [item('a')])).resolves.toMatchObject({ nextVersion: 1 });
      expect(await store.streamVersion('cart-1')).toBe(1);
    } finally {
      await store.close();
    }
  });

  describe.each(['embedded', 'nats'] as const)('with the relay on the %s bus', (transport) => {
    let nats: TestNats | undefined;
    let bus: Bus;

    beforeAll(async () => {
      nats = transport === 'nats' ? await startNats() : undefined;
      bus = nats ? await connectNatsBus({ servers: nats.url }) : await createEmbeddedBus({ databaseUrl: database.url });
    });
    afterAll(async () => {
      await bus?.drain();
      await nats?.dispose();
    });

    it('counts the backlog in events until the relay has published them, and the relay counts what it published', async () => {
      const schema = `shop_backlog_${transport}`;
      const store = await createEventStore({ databaseUrl: database.url, schema, registry: shopRegistry() });
      const counters = new Map<RelayCounter, number>();
      try {
        expect(await outboxBacklog(store)).toBe(0);
        await store.append('cart-1', 'no_stream', [item('a'), item('b')]);
        await store.append('cart-2', 'no_stream', [item('c'), item('d'), item('e')]);
        expect(await outboxBacklog(store)).toBe(5);

        const relay = startOutboxRelay({ store, bus, pollIntervalMs: 50, onCounter: (name, n) => void counters.set(name, (counters.get(name) ?? 0) + n) });
        try {
          await eventually(async () => expect(await outboxBacklog(store)).toBe(0), 10_000, 50);
          await eventually(() => expect(counters.get('published')).toBe(5), 10_000, 50);
          await store.append('cart-1', 2, [item('f')]);
          await eventually(() => expect(counters.get('published')).toBe(6), 10_000, 50);
          expect(await outboxBacklog(store)).toBe(0);
        } finally {
          await relay.stop();
        }
        expect(counters.get('duplicates') ?? 0).toBe(0);
        expect(counters.get('batches')).toBeGreaterThanOrEqual(2);
      } finally {
        await store.close();
      }
    });
  });
});
