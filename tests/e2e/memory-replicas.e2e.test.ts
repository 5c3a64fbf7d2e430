import { Client } from 'pg';
import { createTestDatabase, eventually, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import { setupAdmin } from '../support/auth';
import { Fleet, type Replica } from '../support/fleet';
import { call } from '../support/http';

// Two memory replicas, each a process on NATS and Postgres. An import of 1,000 markdown files is
// a job one replica takes; it is SIGKILLed in the middle, the other takes the job over once the
// job's heartbeat stops, and in the end every memory is there and searchable once, none twice —
// in the table, in the store (one memory_saved per memory) and through the search API.

const FILES = 1_000;
interface ImportView { status: string; saved: number; unchanged: number; failed: number; worker: string | null }

describe('memory replicas: one killed during an import of 1,000 memories', () => {
  let nats: TestNats;
  let database: TestDatabase;
  let fleet: Fleet;
  let gateway: Replica;

  beforeAll(async () => {
    nats = await startNats();
    database = await createTestDatabase('cadre_memory_fleet');
    fleet = new Fleet({ DATABASE_URL: database.url, NATS_URL: nats.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn', MEMORY_IMPORT_ACK_WAIT_MS: '3000' });
    gateway = (await fleet.startWaves([['identity'], ['memory', 'memory'], ['gateway']])).at(-1)!;
  }, 120_000);
  afterAll(async () => {
    await fleet?.stop();
    await database?.dispose();
    await nats?.dispose();
  });

  it('saves every memory once although the replica running the import dies', async () => {
    const token = (await setupAdmin(gateway.url)).access_token;
    const files = Array.from({ length: FILES }, (_, i) => ({
      name: `notes/${i}.md`, content: `---\ntype: fact\ntags: [imported]\n---\n# Note ${i}\n\nThe marker of this note is qx${i}zv; every note mentions lighthouse.`,
    }));
    const started = await call<{ import_id: string; files: number }>(gateway.url, 'POST', '/v1/memory/vaults/archivist/import', { token, body: { files } });
    expect(started.status).toBe(202);
    const view = async () => (await call<ImportView>(gateway.url, 'GET', `/v1/memory/imports/${started.body.import_id}`, { token })).body;

    // Once twenty are in, the replica that runs it is frozen in the same turn (SIGSTOP: on a loaded
    // machine it could otherwise finish the other 980 before a kill lands), then killed. (Frozen, it
    // still holds its NATS subscriptions, so nothing is asked of the memory service in between.)
    let victim: Replica | undefined;
    await eventually(async () => {
      const v = await view();
      expect(v.status).toBe('running');
      expect(v.saved).toBeGreaterThanOrEqual(20);
      victim = fleet.alive('memory').find((r) => v.worker?.includes(`-${r.child.pid}-`));
      expect(victim).toBeDefined();
      process.kill(victim!.child.pid!, 'SIGSTOP');
    }, 60_000, 20);
    await fleet.kill(victim!);
    const survivor = fleet.alive('memory')[0]!;

    const done = await eventually(async () => {
      const v = await view();
      expect(v.status).toBe('completed');
      return v;
    }, 90_000, 200).catch((error: Error) => { throw new Error(`${error.message}\n${fleet.report(1500)}`); });
    expect(done.worker).toContain(`-${survivor.child.pid}-`);
    expect(done.failed).toBe(0);
    expect(done.saved + done.unchanged).toBe(FILES);

    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const rows = (await db.query(`select count(*)::int as n, count(distinct title)::int as titles from memory.memories where agent_id = 'archivist' and not deleted`)).rows[0];
      expect(rows).toEqual({ n: FILES, titles: FILES });
      const saves = (await db.query(`select data->>'memory_id' as id, count(*)::int as n from memory.events where type = 'memory_saved' group by 1`)).rows as Array<{ n: number }>;
      expect(saves).toHaveLength(FILES);
      expect(saves.filter((r) => r.n !== 1)).toEqual([]);
    } finally {
      await db.end();
    }

    const vault = await call<{ total: number }>(gateway.url, 'GET', '/v1/memory/vaults/archivist?limit=1', { token });
    expect(vault.body.total).toBe(FILES);
    for (const i of [0, 99, 100, 101, 357, 500, 777, 998, 999]) {
      const hits = await call<{ results: Array<{ title: string }> }>(gateway.url, 'GET', `/v1/memory/search?agent_id=archivist&q=qx${i}zv`, { token });
      expect(hits.body.results.map((h) => h.title)).toEqual([`Note ${i}`]);
    }
  });
});
