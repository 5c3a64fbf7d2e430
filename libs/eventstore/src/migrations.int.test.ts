import { Kysely, Migrator, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import { createEmbeddedBus, type Bus } from '@cadre/bus';
import { createTestDatabase, eventually, type TestDatabase } from '@cadre/testing';
import { createEventStore, startOutboxRelay, type EventStore } from './index';
import { migrations } from './migrations';
import { outboxBatchSql } from './relay/batch';
import { shopRegistry } from './test-support/events';
import { collect } from './test-support/load';

/* eslint-disable @typescript-eslint/no-explicit-any */

const PAYLOAD_PER_EVENT = '2025_11_23_0003_projection_checkpoints';
const SUBJECT_PER_EVENT = '2025_11_24_0001_outbox_without_payload';
const LATEST_COLUMNS = ['position', 'stream_id', 'first_version', 'subjects'];

// An event a writer appended under an older schema, still waiting in the outbox.
const envelope = {
  id: '01936f6e-1c2a-7d3e-8f4a-123456789abc', type: 'item_added', stream: 'cart-l', version: 1, occurredAt: '2025-01-02T03:04:05.000Z',
  data: { cart_id: 'l', sku: 'a', quantity: 2 }, meta: { correlationId: 'req-l', schemaVersion: 1 },
};

describe('outboxes written by earlier versions of the store', () => {
  let database: TestDatabase;
  let pool: Pool;
  let db: Kysely<any>;
  let bus: Bus;
  const stores: EventStore[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('eventstore_migrations');
    pool = new Pool({ connectionString: database.url });
    db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    bus = await createEmbeddedBus({ databaseUrl: database.url });
  });

  afterAll(async () => {
    await bus?.drain();
    await Promise.all(stores.map((s) => s.close()));
    await db?.destroy();
    await database?.dispose();
  });

  const migrator = (schema: string): Migrator =>
    new Migrator({ db: db.withSchema(schema), migrationTableSchema: schema, provider: { getMigrations: async () => ({ ...migrations }) } });

  const migrateTo = async (schema: string, name: string): Promise<void> => {
    const { error } = await migrator(schema).migrateTo(name);
    if (error) throw error;
  };

  const outboxColumns = async (schema: string): Promise<string[]> =>
    (await pool.query("select column_name from information_schema.columns where table_schema = $1 and table_name = 'outbox' order by ordinal_position", [schema]))
      .rows.map((r) => r.column_name);

  /** A schema at `name` with `envelope` appended and its outbox row as that version wrote it. */
  const olderStore = async (schema: string, name: string): Promise<void> => {
    await migrateTo(schema, name);
    const e = envelope;
    await pool.query(
      `insert into ${schema}.events (id, stream_id, version, type, data, meta, occurred_at) values ($1, $2, $3, $4, $5, $6, $7)`,
      [e.id, e.stream, e.version, e.type, JSON.stringify(e.data), JSON.stringify(e.meta), e.occurredAt],
    );
    const subject = "'evt.shop.item_added.l'";
    await pool.query(name === PAYLOAD_PER_EVENT
      ? `insert into ${schema}.outbox (position, event_id, subject, payload) select position, id, ${subject}, $1 from ${schema}.events`
      : `insert into ${schema}.outbox (position, subject) select position, ${subject} from ${schema}.events`,
    name === PAYLOAD_PER_EVENT ? [JSON.stringify(e)] : []);
  };

  it.each([['a payload', 'payload', PAYLOAD_PER_EVENT], ['a subject', 'subject', SUBJECT_PER_EVENT]])(
    'is upgraded from one row per event with %s, and its pending event is published with the same envelope',
    async (_what, schema, name) => {
      await olderStore(schema, name);
      const store = await createEventStore({ pool, schema, registry: shopRegistry() });
      stores.push(store);
      expect(await outboxColumns(schema)).toEqual(LATEST_COLUMNS);
      const { rows } = await pool.query(outboxBatchSql(schema), [10]);
      expect(rows.map((r) => [r.subject, r.event_id, JSON.parse(r.payload)])).toEqual([['evt.shop.item_added.l', envelope.id, envelope]]);

      const { received, subscription } = await collect(bus, `upgraded-${schema}`, 'evt.shop.item_added.l');
      const relay = startOutboxRelay({ store, bus });
      try {
        await eventually(() => expect(received.map((r) => r.event)).toEqual([envelope]), 10_000, 50);
      } finally {
        await relay.stop();
        await subscription.stop();
      }
    },
  );

  it('is restored by the down migrations, one row per event with its envelope, and upgraded again', async () => {
    const store = stores[0]!;
    await store.append('cart-m', 'no_stream', [
      { type: 'item_added', data: { cart_id: 'm', sku: 'b', quantity: 1 } },
      { type: 'cart_checked_out', data: { cart_id: 'm', total: 1 } },
    ], { subjectScope: 'm' });
    const { rows: before } = await pool.query(outboxBatchSql(store.schema), [10]);
    expect(before).toHaveLength(2);

    await migrateTo(store.schema, PAYLOAD_PER_EVENT);
    expect(await outboxColumns(store.schema)).toEqual(expect.arrayContaining(['position', 'event_id', 'subject', 'payload', 'created_at']));
    expect(await outboxColumns(store.schema)).not.toContain('subjects');
    const { rows } = await pool.query(`select position::text, subject, event_id::text, payload from ${store.schema}.outbox order by position`);
    expect(rows).toEqual(before.map((b) => ({ position: b.position, subject: b.subject, event_id: b.event_id, payload: JSON.parse(b.payload) })));

    const { error } = await migrator(store.schema).migrateToLatest();
    expect(error).toBeUndefined();
    expect(await outboxColumns(store.schema)).toEqual(LATEST_COLUMNS);
    const { rows: after } = await pool.query(outboxBatchSql(store.schema), [10]);
    // The append's two events now have a row each (one-event appends), published in the same order.
    expect(after.map((r) => [r.position, r.subject, r.event_id, r.payload])).toEqual(before.map((r) => [r.position, r.subject, r.event_id, r.payload]));
  });
});
