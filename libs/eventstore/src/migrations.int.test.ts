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

const BEFORE_SLIM_OUTBOX = '2025_11_23_0003_projection_checkpoints';

// What the old append wrote: the event, and an outbox row carrying the whole wire envelope.
const envelope = {
  id: '01936f6e-1c2a-7d3e-8f4a-123456789abc', type: 'item_added', stream: 'cart-l', version: 1, occurredAt: '2025-01-02T03:04:05.000Z',
  data: { cart_id: 'l', sku: 'a', quantity: 2 }, meta: { correlationId: 'req-l', schemaVersion: 1 },
};

describe('an outbox written before the outbox lost its payload column', () => {
  let database: TestDatabase;
  let pool: Pool;
  let db: Kysely<any>;
  let migrator: Migrator;
  let bus: Bus | undefined;
  let store: EventStore | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('eventstore_migrations');
    pool = new Pool({ connectionString: database.url });
    db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    migrator = new Migrator({ db: db.withSchema('legacy'), migrationTableSchema: 'legacy', provider: { getMigrations: async () => ({ ...migrations }) } });
    const { error } = await migrator.migrateTo(BEFORE_SLIM_OUTBOX);
    if (error) throw error;
    const e = envelope;
    await pool.query(
      'insert into legacy.events (id, stream_id, version, type, data, meta, occurred_at) values ($1, $2, $3, $4, $5, $6, $7)',
      [e.id, e.stream, e.version, e.type, JSON.stringify(e.data), JSON.stringify(e.meta), e.occurredAt],
    );
    await pool.query("insert into legacy.outbox (position, event_id, subject, payload) select position, id, 'evt.shop.item_added.l', $1 from legacy.events", [JSON.stringify(e)]);
  });

  afterAll(async () => {
    await bus?.drain();
    await store?.close();
    await db?.destroy();
    await database?.dispose();
  });

  const outboxColumns = async (): Promise<string[]> =>
    (await pool.query("select column_name from information_schema.columns where table_schema = 'legacy' and table_name = 'outbox' order by ordinal_position"))
      .rows.map((r) => r.column_name);

  it('is upgraded on open, and its pending row is published with the same envelope', async () => {
    store = await createEventStore({ pool, schema: 'legacy', registry: shopRegistry() });
    expect(await outboxColumns()).toEqual(['position', 'subject']);
    const { rows } = await pool.query(outboxBatchSql('legacy'), [10]);
    expect(rows.map((r) => [r.subject, r.event_id, JSON.parse(r.payload)])).toEqual([['evt.shop.item_added.l', envelope.id, envelope]]);

    bus = await createEmbeddedBus({ databaseUrl: database.url });
    const { received, subscription } = await collect(bus, 'legacy', 'evt.shop.item_added.l');
    const relay = startOutboxRelay({ store, bus });
    try {
      await eventually(() => expect(received.map((r) => r.event)).toEqual([envelope]), 10_000, 50);
    } finally {
      await relay.stop();
      await subscription.stop();
    }
  });

  it('is restored by the down migration, payload rebuilt from the events row', async () => {
    await store!.append('cart-m', 'no_stream', [{ type: 'item_added', data: { cart_id: 'm', sku: 'b', quantity: 1 } }], { subjectScope: 'm', now: new Date(envelope.occurredAt) });
    const { rows: before } = await pool.query(outboxBatchSql('legacy'), [10]);
    expect(before).toHaveLength(1);
    const { error } = await migrator.migrateTo(BEFORE_SLIM_OUTBOX);
    if (error) throw error;
    expect(await outboxColumns()).toEqual(expect.arrayContaining(['position', 'subject', 'event_id', 'payload', 'created_at']));
    const { rows } = await pool.query('select subject, event_id::text, payload from legacy.outbox');
    expect(rows).toEqual([{ subject: before[0].subject, event_id: before[0].event_id, payload: JSON.parse(before[0].payload) }]);
    const { error: again } = await migrator.migrateToLatest();
    expect(again).toBeUndefined();
    expect(await outboxColumns()).toEqual(['position', 'subject']);
  });
});
