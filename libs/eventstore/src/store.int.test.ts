import { z } from 'zod';
import { Client } from 'pg';
import { ConcurrencyError, ConflictError, EventRegistry, ValidationError, defineEvent } from '@cadre/proto';
import { createTestDatabase, type TestDatabase } from '@cadre/testing';
import { createEventStore, type EventStore } from './index';
import { outboxBatchSql } from './relay/batch';
import { shopRegistry } from './test-support/events';

const fixedClock = () => new Date('2025-01-02T03:04:05.000Z');

describe('event store', () => {
  let database: TestDatabase;
  let store: EventStore;

  beforeAll(async () => {
    database = await createTestDatabase('eventstore');
    store = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry(), clock: fixedClock });
  });

  afterAll(async () => {
    await store?.close();
    await database?.dispose();
  });

  const count = async (table: string): Promise<number> => {
    const { rows } = await store.pool.query<{ n: string }>(`select count(*) as n from shop.${table}`);
    return Number(rows[0]?.n);
  };

  describe('when events are appended to a new stream', () => {
    it('stores them with versions, ids, time and schema version, and reads them back in order', async () => {
      const result = await store.append('cart-1', 'no_stream', [
        { type: 'item_added', data: { cart_id: 'c1', sku: 'a', quantity: 1 }, meta: { correlationId: 'req-1' } },
        { type: 'item_added', data: { cart_id: 'c1', sku: 'b', quantity: 2 } },
      ]);
      expect(result.nextVersion).toBe(2);
      expect(result.lastPosition).toBeGreaterThan(0);
      expect(result.events.map((e) => e.version)).toEqual([1, 2]);
      expect(result.events[0]).toMatchObject({ stream: 'cart-1', occurredAt: '2025-01-02T03:04:05.000Z', meta: { correlationId: 'req-1', schemaVersion: 1 } });
      expect(result.events[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
      // UUIDv7: version nibble 7, and ids of one append sort by creation.
      expect(result.events[0]?.id[14]).toBe('7');

      const read = await store.readStream('cart-1');
      expect(read).toEqual(result.events);
      expect(await store.streamVersion('cart-1')).toBe(2);
      expect(await store.streamVersion('cart-nothing')).toBe(0);
      expect(await store.readStream('cart-1', { fromVersion: 2 })).toEqual([result.events[1]]);
    });

    it('writes one outbox row per append (stream, versions, scoped subjects) that the relay turns into wire envelopes', async () => {
      const result = await store.append('cart-2', 'no_stream', [
        { type: 'item_added', data: { cart_id: 'c2', sku: 'x', quantity: 3 } },
        { type: 'cart_checked_out', data: { cart_id: 'c2', total: 3 } },
      ], { subjectScope: 'run-9' });
      const first = result.lastPosition - 1;
      const outbox = await store.pool.query('select * from shop.outbox where stream_id = $1', ['cart-2']);
      expect(outbox.rows).toEqual([{ position: String(first), stream_id: 'cart-2', first_version: 1, subjects: ['evt.shop.item_added.run-9', 'evt.shop.cart_checked_out.run-9'] }]);
      const { rows } = await store.pool.query(`select * from (${outboxBatchSql('shop')}) b where b.outbox_position = $2`, [1_000, String(first)]);
      expect(rows.map((r) => [r.position, r.subject, r.event_id])).toEqual([
        [String(first), 'evt.shop.item_added.run-9', result.events[0]?.id],
        [String(result.lastPosition), 'evt.shop.cart_checked_out.run-9', result.events[1]?.id],
      ]);
      expect(rows.map((r) => JSON.parse(r.payload))).toEqual(result.events);
    });

    it('takes the time and id a caller gives', async () => {
      const id = '01936f6e-1c2a-7d3e-8f4a-123456789abc';
      const { events } = await store.append('cart-3', 'any', [{ type: 'cart_checked_out', id, occurredAt: '2024-06-01T00:00:00Z', data: { cart_id: 'c3', total: 5 } }]);
      expect(events[0]).toMatchObject({ id, occurredAt: '2024-06-01T00:00:00.000Z' });
    });
  });

  describe('when an append is invalid', () => {
    it.each([
      ['an unknown type', [{ type: 'nope', data: {} }]],
      ['bad data in one of several events', [{ type: 'item_added', data: { cart_id: 'c', sku: 's', quantity: 1 } }, { type: 'item_added', data: { cart_id: 'c', quantity: -1 } }]],
      ['a malformed id', [{ type: 'item_added', id: 'not-a-uuid', data: { cart_id: 'c', sku: 's', quantity: 1 } }]],
      ['no events', []],
    ])('rejects %s with a ValidationError and writes nothing', async (_name, events) => {
      const before = [await count('events'), await count('outbox')];
      await expect(store.append('cart-bad', 'any', events)).rejects.toBeInstanceOf(ValidationError);
      expect([await count('events'), await count('outbox')]).toEqual(before);
    });
  });

  describe('when the expected version does not match', () => {
    it('fails with a retryable ConcurrencyError that reports the current version, writing nothing', async () => {
      await store.append('cart-4', 'no_stream', [{ type: 'item_added', data: { cart_id: 'c4', sku: 'a', quantity: 1 } }]);
      const before = await count('events');
      const error = await store.append('cart-4', 'no_stream', [{ type: 'item_added', data: { cart_id: 'c4', sku: 'b', quantity: 1 } }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect((error as ConcurrencyError).retryable).toBe(true);
      expect((error as ConcurrencyError).details).toMatchObject({ streamId: 'cart-4', expectedVersion: 'no_stream', currentVersion: 1 });
      await expect(store.append('cart-4', 5, [{ type: 'item_added', data: { cart_id: 'c4', sku: 'b', quantity: 1 } }])).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await count('events')).toBe(before);
    });
  });

  describe('when an event id was already used', () => {
    it('fails with a ConflictError, not a retryable concurrency conflict', async () => {
      const { events } = await store.append('cart-6', 'no_stream', [{ type: 'item_added', data: { cart_id: 'c6', sku: 'a', quantity: 1 } }]);
      const again = store.append('cart-7', 'any', [{ type: 'item_added', id: events[0]!.id, data: { cart_id: 'c7', sku: 'a', quantity: 1 } }]);
      await expect(again).rejects.toBeInstanceOf(ConflictError);
      expect(await store.streamVersion('cart-7')).toBe(0);
    });
  });

  describe('when the store is bound to a domain', () => {
    it('rejects event types of another domain', async () => {
      const runs = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry(), domain: 'runs', migrate: false });
      try {
        await expect(runs.append('x-1', 'any', [{ type: 'tick', data: { n: 1 } }])).rejects.toBeInstanceOf(ValidationError);
      } finally {
        await runs.close();
      }
    });

    it('takes the types of every domain it names, and nothing else', async () => {
      const two = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry(), domain: ['runs', 'shop'], migrate: false });
      try {
        await expect(two.append('domains-1', 'any', [{ type: 'tick', data: { n: 1 } }])).resolves.toMatchObject({ nextVersion: 1 });
        const other = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry(), domain: ['runs', 'agents'], migrate: false });
        try {
          const refused = await other.append('domains-2', 'any', [{ type: 'tick', data: { n: 1 } }]).catch((e: unknown) => e);
          expect(refused).toBeInstanceOf(ValidationError);
          expect((refused as Error).message).toBe('event tick belongs to domain shop, not runs or agents');
          expect(await other.streamVersion('domains-2')).toBe(0);
        } finally {
          await other.close();
        }
      } finally {
        await two.close();
      }
    });

    it('refuses a schema name that is not a plain identifier', async () => {
      await expect(createEventStore({ databaseUrl: database.url, schema: 'Bad-Name"', registry: shopRegistry() })).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('appendWithRetry', () => {
    it('decides from the current stream and appends at its version', async () => {
      await store.append('cart-5', 'no_stream', [{ type: 'item_added', data: { cart_id: 'c5', sku: 'a', quantity: 2 } }]);
      const result = await store.appendWithRetry('cart-5', ({ events, version }) => {
        expect(version).toBe(1);
        const total = events.reduce((sum, e) => sum + Number(e.data.quantity), 0);
        return [{ type: 'cart_checked_out', data: { cart_id: 'c5', total } }];
      });
      expect(result.events[0]).toMatchObject({ version: 2, data: { total: 2 } });
    });

    it('writes nothing when decide returns no events', async () => {
      const result = await store.appendWithRetry('cart-5', () => []);
      expect(result).toMatchObject({ events: [], nextVersion: 2 });
    });
  });

  describe('readAll', () => {
    it('returns events of every stream in position order, page by page', async () => {
      const all = await store.readAll({ limit: 1_000 });
      const positions = all.map((r) => r.position);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      const page = await store.readAll({ fromPosition: positions[1], limit: 2 });
      expect(page.map((r) => r.position)).toEqual(positions.slice(1, 3));
      const iterated = [];
      for await (const record of store.iterateAll({ batchSize: 2 })) iterated.push(record);
      expect(iterated).toEqual(all);
    });
  });

  describe('when an event type has a newer schema version', () => {
    it('upcasts events stored under the old version on read', async () => {
      const v1 = defineEvent({ type: 'note_written', domain: 'notes', version: 1, description: 'v1', data: z.object({ text: z.string() }) });
      const v2 = defineEvent({
        type: 'note_written', domain: 'notes', version: 2, description: 'v2',
        data: z.object({ body: z.string(), format: z.enum(['plain', 'markdown']) }),
        upcasters: { 1: (data) => ({ body: data.text, format: 'plain' }) },
      });
      const oldStore = await createEventStore({ databaseUrl: database.url, schema: 'notes', registry: new EventRegistry([v1]) });
      const newStore = await createEventStore({ databaseUrl: database.url, schema: 'notes', registry: new EventRegistry([v2]) });
      try {
        await oldStore.append('note-1', 'no_stream', [{ type: 'note_written', data: { text: 'hello' } }]);
        await newStore.append('note-1', 1, [{ type: 'note_written', data: { body: '# hi', format: 'markdown' } }]);
        const events = await newStore.readStream('note-1');
        expect(events.map((e) => [e.data, e.meta.schemaVersion])).toEqual([
          [{ body: 'hello', format: 'plain' }, 2],
          [{ body: '# hi', format: 'markdown' }, 2],
        ]);
        expect((await newStore.readAll())[0]?.event.data).toEqual({ body: 'hello', format: 'plain' });
      } finally {
        await oldStore.close();
        await newStore.close();
      }
    });
  });

  describe('migrations', () => {
    it('run once when several replicas start at the same time', async () => {
      const stores = await Promise.all(
        Array.from({ length: 6 }, () => createEventStore({ databaseUrl: database.url, schema: 'replicas', registry: shopRegistry() })),
      );
      await Promise.all(stores.map((s) => s.close()));
      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query('select name from replicas.kysely_migration order by name');
        expect(rows.map((r) => r.name)).toEqual([
          '2025_11_23_0001_events', '2025_11_23_0002_outbox', '2025_11_23_0003_projection_checkpoints',
          '2025_11_24_0001_outbox_without_payload', '2025_11_24_0002_outbox_row_per_append',
        ]);
        const tables = await client.query("select table_name from information_schema.tables where table_schema = 'replicas' order by 1");
        expect(tables.rows.map((r) => r.table_name)).toEqual(['events', 'kysely_migration', 'kysely_migration_lock', 'outbox', 'projection_checkpoints']);
      } finally {
        await client.end();
      }
    });
  });
});
