import { agentsService } from '@cadre/agents';
import { startDefinedService } from '@cadre/kit';
import { silentLogger } from '@cadre/logging';
import { PRINCIPAL_HEADER, runGet, swarmExecute, swarmGet, swarmTasks, type Principal } from '@cadre/proto';
import { runsService } from '@cadre/runs';
import { call, type Service } from '@cadre/runtime';
import { startTestbed, type Testbed } from '@cadre/testbed';
import { eventually } from '@cadre/testing';
import { createEventStore } from '@cadre/eventstore';
import { createEventRegistry } from '@cadre/proto';
import { Kysely, PostgresDialect } from 'kysely';
import { LRUCache } from 'lru-cache';
import { swarmsService } from './service';
import type { SwarmsDatabase } from './storage/database';
import { swarmViewsProjection } from './view/projection';

const ALICE: Principal = { kind: 'user', user_id: 'u-alice', role: 'member', credential_id: 's-alice' };
const headers = { [PRINCIPAL_HEADER]: JSON.stringify(ALICE) };

describe('the global timeout of a swarm (and the list row)', () => {
  let bed: Testbed;
  const services: Service[] = [];
  /** The swarms service's clock runs this far ahead of the wall clock. */
  let ahead = 0;

  beforeAll(async () => {
    bed = await startTestbed({ name: 'cadre_swarms', pollIntervalMs: 200 });
    const deps = (name: string) => ({ bus: bed.bus, pool: bed.pool, logger: silentLogger(), instance: `${name}-test` });
    // Model calls of the dry run that take a minute, so the task is still running when time is up.
    const env = { CADRE_DRY_RUN_CHUNK_DELAY_MS: '2000', CADRE_SECRET_KEY: 'a test key that is long enough to be used ok', SWARMS_SWEEP_INTERVAL_MS: '100' };
    services.push(await startDefinedService(runsService, deps('runs'), { env }));
    services.push(await startDefinedService(agentsService, deps('agents'), { env }));
    services.push(await startDefinedService(swarmsService, deps('swarms'), { env, clock: () => new Date(Date.now() + ahead) }));
  });
  afterAll(async () => {
    for (const service of services.reverse()) await service.shutdown('test over');
    await bed?.bus.drain();
    await bed?.dispose();
  });

  it("writes a swarm's list row in the transaction of the events it reflects", async () => {
    const launched = await call(bed.bus, swarmExecute, {
      agent_id: 'demo-writer', tasks: [{ key: 'one', title: 'One', execution_prompt: 'Write a line.' }],
    }, { headers });
    // Read at once after the reply: the row is there, at the version of an event appended in the same transaction.
    const { rows } = await bed.pool.query<{ row_xmin: string; event_xmin: string | null; version: number }>(
      `select v.xmin::text as row_xmin, v.version,
              (select e.xmin::text from swarms.events e where e.stream_id = $2 and e.version = v.version) as event_xmin
       from swarms.swarm_view v where v.swarm_id = $1`, [launched.swarm_id, `swarm-${launched.swarm_id}`]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.version).toBeGreaterThan(0);
    expect(rows[0]!.event_xmin).toBe(rows[0]!.row_xmin);
  });

  it("rewrites a swarm's list row from its stream, in the projection, as the append wrote it", async () => {
    const launched = await call(bed.bus, swarmExecute, {
      agent_id: 'demo-writer', tasks: [{ key: 'one', title: 'One', execution_prompt: 'Write a line.' }],
    }, { headers });
    const rowOf = async () => (await bed.pool.query(
      'select swarm_id, version, owner, agent_id, status, created_at, updated_at, wake_at, body from swarms.swarm_view where swarm_id = $1',
      [launched.swarm_id])).rows;
    const written = await rowOf();
    expect(written).toHaveLength(1);
    const store = await createEventStore({ pool: bed.pool, schema: 'swarms', registry: createEventRegistry(), migrate: false });
    const db = new Kysely<SwarmsDatabase>({ dialect: new PostgresDialect({ pool: bed.pool }) });
    try {
      const events = (await store.readStream(`swarm-${launched.swarm_id}`)).filter((e) => e.version <= Number(written[0]!.version));
      await bed.pool.query('delete from swarms.swarm_view where swarm_id = $1', [launched.swarm_id]);
      // A replica that did not write it (nothing in writtenViews) applies the swarm's last event.
      const projection = swarmViewsProjection({ schema: 'swarms', store, writtenViews: new LRUCache<string, number>({ max: 10 }) });
      await db.transaction().execute((trx) => projection.apply(events.at(-1)!, trx, 0));
      // Nothing happens to the swarm meanwhile (its task's model takes seconds a chunk): the same row.
      expect(await rowOf()).toEqual(written);
    } finally {
      await store.close();
    }
  });

  it('fails the swarm when it passes: the running task fails and its run is cancelled, the rest is skipped (found by the sweeper)', async () => {
    const launched = await call(bed.bus, swarmExecute, {
      agent_id: 'demo-writer', global_timeout_seconds: 60,
      tasks: [{ key: 'long', title: 'Long', execution_prompt: 'Take your time.' }, { key: 'next', title: 'Next', execution_prompt: 'Then this.', dependencies: ['long'] }],
    }, { headers });
    const runId = await eventually(async () => {
      const { tasks } = await call(bed.bus, swarmTasks, { swarm_id: launched.swarm_id }, { headers });
      const run = await call(bed.bus, runGet, { run_id: tasks[0]!.run_id! }, { headers });
      expect(run.status).toBe('running');
      return run.id;
    }, 20_000);
    // A minute passes for the swarm: no timer of this process is due, the sweeper finds it.
    ahead = 61_000;
    const failed = await eventually(async () => {
      const swarm = await call(bed.bus, swarmGet, { swarm_id: launched.swarm_id }, { headers });
      expect(swarm.status).toBe('failed');
      return swarm;
    }, 10_000);
    expect(failed.error).toBe("the swarm's global timeout of 60 s was reached");
    expect(failed.summary).toMatchObject({ failed: 1, skipped: 1, completed: 0 });
    const { tasks } = await call(bed.bus, swarmTasks, { swarm_id: launched.swarm_id }, { headers });
    expect(tasks.map((t) => [t.key, t.status])).toEqual([['long', 'failed'], ['next', 'skipped']]);
    await eventually(async () => expect((await call(bed.bus, runGet, { run_id: runId }, { headers })).status).toBe('cancelled'), 10_000);
  });
});
