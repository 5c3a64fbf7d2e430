import { sql, type Kysely } from 'kysely';
import { Pool } from 'pg';
import { z } from 'zod';
import { createEmbeddedBus, type Bus } from '@cadre/bus';
import { createEventStore, type ProjectionDefinition } from '@cadre/eventstore';
import { silentLogger } from '@cadre/logging';
import { EventRegistry, createEventRegistry, defineEvent } from '@cadre/proto';
import { createTestDatabase, eventually, type TestDatabase } from '@cadre/testing';
import { defineService, startDefinedService, startProjection } from './index';

const tallied = defineEvent({
  type: 'tallied', domain: 'tally', version: 1, description: 'Something was counted',
  data: z.object({ what: z.string() }),
});

/** One row per event, keyed by its id: applying an event twice leaves one row. */
const talliesProjection = (schema: string): ProjectionDefinition => ({
  name: 'tallies',
  events: ['tallied'],
  apply: async (event, trx) => {
    await sql`insert into ${sql.id(schema, 'tallies')} (event_id, what) values (${event.id}, ${String(event.data.what)}) on conflict do nothing`.execute(trx);
  },
});

const tallyService = defineService({
  name: 'tally',
  description: 'Counts things (a test service)',
  version: '0.0.0',
  config: { shape: {}, load: () => ({}) },
  schema: () => 'tally',
  events: [{ name: 'tally', visibility: 'admin' }],
  eventTypes: [tallied],
  migrations: (schema: string) => ({
    '2026_01_01_0001_tallies': {
      async up(db: Kysely<unknown>) {
        await sql`create table ${sql.id(schema, 'tallies')} (event_id text primary key, what text not null)`.execute(db);
      },
    },
  }),
  routes: [],
  context: (kit) => kit,
  workers: async (kit) => [await startProjection(kit, talliesProjection(kit.schema))],
  endpoints: () => [],
});

describe('a projection a service lists among its workers', () => {
  let database: TestDatabase;
  let pool: Pool;
  let bus: Bus;

  beforeAll(async () => {
    database = await createTestDatabase('kit_projection');
    pool = new Pool({ connectionString: database.url });
    bus = await createEmbeddedBus({ databaseUrl: database.url });
  });

  afterAll(async () => {
    await bus?.drain();
    await pool?.end();
    await database?.dispose();
  });

  it('is built from the service\'s store when new, then fed from the bus by its durable consumer', async () => {
    const store = await createEventStore({ pool, schema: 'tally', registry: new EventRegistry([...createEventRegistry().all(), tallied]) });
    // Written before the service started: unpublished yet, so it may come from the store and again from the bus.
    await store.append('tally-1', 'no_stream', [{ type: 'tallied', data: { what: 'before' } }]);
    const service = await startDefinedService(tallyService, { bus, pool, logger: silentLogger(), instance: 'tally-1' });
    const tallies = async () => (await pool.query<{ what: string }>('select what from tally.tallies order by what')).rows.map((r) => r.what);
    try {
      expect(await tallies()).toEqual(['before']);
      await store.append('tally-1', 1, [{ type: 'tallied', data: { what: 'after' } }]);
      await eventually(async () => expect(await tallies()).toEqual(['after', 'before']), 10_000, 50);
      expect(await bus.events.consumerLag('tally-tallies')).toBeDefined();
    } finally {
      await service.shutdown('test over');
    }
  });
});
