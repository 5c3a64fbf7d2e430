import type { Kysely } from 'kysely';
import { z } from 'zod';
import { silentLogger } from '@cadre/logging';
import { ValidationError, defineCommand, defineEvent } from '@cadre/proto';
import { call, endpoint } from '@cadre/runtime';
import { startTestbed, type Testbed } from '@cadre/testbed';
import { eventually } from '@cadre/testing';
import { defineService, startDefinedService, type DefinedService, type ServiceKit } from './index';

const tally = defineCommand({ domain: 'tallies', name: 'add', description: 'Count one', request: z.object({ by: z.number().int() }), reply: z.object({ total: z.number() }) });
const tallied = defineEvent({ type: 'tallied', domain: 'tallies', version: 1, description: 'Counted', data: z.object({ by: z.number().int() }) });

interface Tables { totals: { id: string; total: number } }

/** A small service: one table by migration, one command appending one event and updating the table. */
const tallies = defineService({
  name: 'tallies',
  description: 'Tallies (a service of this test)',
  version: '1.2.3',
  config: { shape: {}, load: (env) => ({ schema: env.TALLIES_SCHEMA ?? 'tallies' }) },
  schema: (config: { schema: string }) => config.schema,
  events: [{ name: 'tallies', visibility: 'owner' }],
  eventTypes: [tallied],
  migrations: {
    '2026_12_05_0001_totals': {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('totals').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('total', 'integer', (c) => c.notNull()).execute();
      },
    },
  },
  routes: [],
  context: (kit: ServiceKit<{ schema: string }, Tables>) => kit,
  endpoints: (kit) => [endpoint(tally, async ({ by }) => {
    await kit.store.append('tally-1', 'any', [{ type: 'tallied', data: { by } }]);
    const row = await kit.db.insertInto('totals').values({ id: 'one', total: by })
      .onConflict((c) => c.column('id').doUpdateSet((eb) => ({ total: eb('totals.total', '+', by) }))).returning('total').executeTakeFirstOrThrow();
    return { total: row.total };
  })],
});

describe('the service shell', () => {
  let bed: Testbed;
  const started: DefinedService<unknown>[] = [];
  beforeAll(async () => {
    bed = await startTestbed({ name: 'cadre_kit' });
  });
  afterAll(async () => {
    for (const service of started.reverse()) await service.shutdown('test over');
    await bed.bus.drain();
    await bed.dispose();
  });

  it('migrates once for replicas starting together, serves the endpoints, and relays the events', async () => {
    const deps = (n: number) => ({ bus: bed.bus, pool: bed.pool, logger: silentLogger(), instance: `tallies-${n}` });
    started.push(...await Promise.all([1, 2, 3].map((n) => startDefinedService(tallies, deps(n), { env: {} }))));
    const { rows } = await bed.pool.query<{ name: string }>('select name from tallies.tallies_migration');
    expect(rows.map((r) => r.name)).toEqual(['2026_12_05_0001_totals']);
    expect(await call(bed.bus, tally, { by: 2 }, { timeoutMs: 5_000 })).toEqual({ total: 2 });
    expect(await call(bed.bus, tally, { by: 3 }, { timeoutMs: 5_000 })).toEqual({ total: 5 });
    await expect(call(bed.bus, tally, { by: 1.5 } as never, { timeoutMs: 5_000 })).rejects.toBeInstanceOf(ValidationError);
    const seen: string[] = [];
    const watch = await bed.bus.events.replay({ fromSeq: 1, filterSubject: 'evt.tallies.>' }, (m) => void seen.push(m.subject));
    await eventually(() => expect(seen).toEqual(['evt.tallies.tallied.tally-1', 'evt.tallies.tallied.tally-1']));
    await watch.stop();
  });

  it('keeps the store to the service\'s own event domains', async () => {
    const kit = started[0]!.context as ServiceKit<unknown, Tables>;
    await expect(kit.store.append('tally-x', 'any', [{ type: 'run_created', data: {} }])).rejects.toThrow(/domain|runs/);
  });
});
