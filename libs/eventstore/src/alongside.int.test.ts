import { ConcurrencyError, ValidationError, type EventEnvelope } from '@cadre/proto';
import { createTestDatabase, type TestDatabase } from '@cadre/testing';
import { createEventStore, handleCommand, snapshotCache, type Alongside, type EventStore, type Snapshot } from './index';
import { cartDecider, type Cart, type CartCommand } from './test-support/cart-decider';
import { shopRegistry } from './test-support/events';

/** A cart's read model upserted in the append's statement: its units as of a stream version. */
const cartView = (streamId: string, version: number, cart: Cart, schema = 'shop'): Alongside => ({
  key: 'cart_view',
  ctes: (p) => `cart_view_row AS (
      INSERT INTO "${schema}".cart_view (stream_id, version, units)
      SELECT ${p(1)}::text, ${p(2)}::int, ${p(3)}::jsonb WHERE EXISTS (SELECT 1 FROM appended)
      ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, units = excluded.units
      WHERE "${schema}".cart_view.version < excluded.version)`,
  values: [streamId, version, JSON.stringify(cart.units)],
});

describe('writes alongside an append', () => {
  let database: TestDatabase;
  let store: EventStore;

  beforeAll(async () => {
    database = await createTestDatabase('eventstore_alongside');
    store = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry() });
    await store.pool.query('CREATE TABLE shop.cart_view (stream_id text PRIMARY KEY, version int NOT NULL, units jsonb NOT NULL CHECK (units <> \'{"poison": 1}\'))');
  });

  afterAll(async () => {
    await store?.close();
    await database?.dispose();
  });

  const viewOf = async (streamId: string) =>
    (await store.pool.query<{ version: number; units: Record<string, number> }>('SELECT version, units FROM shop.cart_view WHERE stream_id = $1', [streamId])).rows[0];

  it('commit in the append, given the envelopes as appended (validated, with their versions)', async () => {
    const seen: number[][] = [];
    await store.append('cart-a', 'no_stream', [
      { type: 'item_added', data: { cart_id: 'a', sku: 'apple', quantity: 2 } },
      { type: 'item_added', data: { cart_id: 'a', sku: 'pear', quantity: 1 } },
    ], {
      alongside: (events) => {
        seen.push(events.map((e) => e.version));
        return cartView('cart-a', events.at(-1)!.version, { units: { apple: 2, pear: 1 }, checkedOut: false });
      },
    });
    expect(seen).toEqual([[1, 2]]);
    expect(await viewOf('cart-a')).toEqual({ version: 2, units: { apple: 2, pear: 1 } });
  });

  it('write nothing when the stream is not at the expected version, and nothing is appended when they fail', async () => {
    const alongside = () => cartView('cart-a', 3, { units: { stale: 1 }, checkedOut: false });
    await expect(store.append('cart-a', 1, [{ type: 'item_added', data: { cart_id: 'a', sku: 'stale', quantity: 1 } }], { alongside }))
      .rejects.toBeInstanceOf(ConcurrencyError);
    expect(await viewOf('cart-a')).toEqual({ version: 2, units: { apple: 2, pear: 1 } });
    // The read model refuses the row: the events do not go in either.
    const poison = () => cartView('cart-a', 3, { units: { poison: 1 }, checkedOut: false });
    await expect(store.append('cart-a', 2, [{ type: 'item_added', data: { cart_id: 'a', sku: 'poison', quantity: 1 } }], { alongside: poison }))
      .rejects.toMatchObject({ code: '23514' }); // check_violation
    expect((await store.readStream('cart-a')).map((e) => e.data.sku)).toEqual(['apple', 'pear']);
    expect(await viewOf('cart-a')).toEqual({ version: 2, units: { apple: 2, pear: 1 } });
    // Answering no writes is a plain append.
    await store.append('cart-a', 2, [{ type: 'item_added', data: { cart_id: 'a', sku: 'fig', quantity: 1 } }], { alongside: () => undefined });
    expect(await store.streamVersion('cart-a')).toBe(3);
  });

  it("are refused with expected version 'any', and with a key that cannot name a statement", async () => {
    const alongside = () => cartView('cart-b', 1, { units: {}, checkedOut: false });
    await expect(store.append('cart-b', 'any', [{ type: 'item_added', data: { cart_id: 'b', sku: 'x', quantity: 1 } }], { alongside }))
      .rejects.toBeInstanceOf(ValidationError);
    await expect(store.append('cart-b', 'no_stream', [{ type: 'item_added', data: { cart_id: 'b', sku: 'x', quantity: 1 } }], {
      alongside: () => ({ ...cartView('cart-b', 1, { units: {}, checkedOut: false }), key: 'a"; drop' }),
    })).rejects.toBeInstanceOf(ValidationError);
    expect(await store.streamVersion('cart-b')).toBe(0);
  });

  it('are named apart for schemas and keys of any length, and one key keeps one statement', async () => {
    // Two stores on one pool whose schema names (48 characters) differ only at the end: names spelled out would be cut at 63 bytes and meet.
    const pool = store.pool;
    const long = (end: string) => `${'s'.repeat(47)}${end}`;
    const stores = await Promise.all(['a', 'b'].map((end) => createEventStore({ pool, schema: long(end), registry: shopRegistry() })));
    for (const [i, other] of stores.entries()) {
      await pool.query(`CREATE TABLE "${other.schema}".cart_view (stream_id text PRIMARY KEY, version int NOT NULL, units jsonb NOT NULL)`);
      const view = (): Alongside => cartView('cart-l', 2, { units: { n: i }, checkedOut: false }, other.schema);
      await other.append('cart-l', 'no_stream', [{ type: 'item_added', data: { cart_id: 'l', sku: 'n', quantity: 1 } }]);
      await other.append('cart-l', 1, [{ type: 'item_added', data: { cart_id: 'l', sku: 'n', quantity: 1 } }], { alongside: view });
      expect((await pool.query(`SELECT units FROM "${other.schema}".cart_view`)).rows).toEqual([{ units: { n: i } }]);
    }
    // The same key with another text is a mistake, told at once rather than run as the first text.
    const other = (): Alongside => ({ ...cartView('cart-k', 1, { units: {}, checkedOut: false }), ctes: () => 'cart_view_other AS (SELECT 1)' });
    await expect(store.append('cart-k', 'no_stream', [{ type: 'item_added', data: { cart_id: 'k', sku: 'x', quantity: 1 } }], { alongside: other }))
      .rejects.toThrow(/another statement/);
    expect(await store.streamVersion('cart-k')).toBe(0);
  });

  it('through handleCommand, hold the state the decision that stood leads to, after a stale snapshot too', async () => {
    const alongside = (cart: Cart, _command: CartCommand, events: readonly EventEnvelope[]) => cartView('cart-c', events.at(-1)!.version, cart);
    const snapshots = snapshotCache<Cart>(10);
    await handleCommand(store, cartDecider, { stream: 'cart-c', command: { kind: 'add', cartId: 'c', sku: 'apple', quantity: 1 } as CartCommand, snapshots, alongside });
    expect(await viewOf('cart-c')).toEqual({ version: 1, units: { apple: 1 } });
    // Another writer moves the stream on: the kept snapshot is stale, the speculative append
    // conflicts (writing nothing), and the decision made again on the stream read is written.
    await store.append('cart-c', 1, [{ type: 'item_added', data: { cart_id: 'c', sku: 'pear', quantity: 5 } }]);
    expect((snapshots.get('cart-c') as Snapshot<Cart>).version).toBe(1);
    const outcome = await handleCommand(store, cartDecider, { stream: 'cart-c', command: { kind: 'add', cartId: 'c', sku: 'fig', quantity: 1 } as CartCommand, snapshots, alongside });
    expect(outcome.version).toBe(3);
    expect(await viewOf('cart-c')).toEqual({ version: 3, units: { apple: 1, pear: 5, fig: 1 } });
  });
});
