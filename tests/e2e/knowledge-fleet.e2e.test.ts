import { resolve } from 'node:path';
import { Client } from 'pg';
import type { ProjectView } from '@cadre/proto';
import { createTestDatabase, eventually, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import { setupAdmin } from '../support/auth';
import { Fleet, type Replica } from '../support/fleet';
import { call } from '../support/http';

// Two knowledge replicas, each a process on NATS and Postgres. Indexing Cadre's own tree is a job
// one replica takes; it is SIGKILLed while parsing, the other takes the job over once the job's
// heartbeat stops, and the job completes once: one completion event, one graph (no node twice).

const CADRE_ROOT = resolve(__dirname, '../..');
interface Job { status: string; phase: string; worker: string | null; counts: Record<string, number> }

describe('knowledge replicas: one killed while indexing', () => {
  let nats: TestNats;
  let database: TestDatabase;
  let fleet: Fleet;
  let gateway: Replica;

  beforeAll(async () => {
    nats = await startNats();
    database = await createTestDatabase('cadre_knowledge_fleet');
    fleet = new Fleet({
      DATABASE_URL: database.url, NATS_URL: nats.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn',
      KNOWLEDGE_INDEX_ACK_WAIT_MS: '3000', KNOWLEDGE_REPOSITORY_ROOTS: CADRE_ROOT,
    });
    gateway = (await fleet.startWaves([['identity'], ['projects'], ['knowledge', 'knowledge'], ['gateway']])).at(-1)!;
  }, 120_000);
  afterAll(async () => {
    await fleet?.stop();
    await database?.dispose();
    await nats?.dispose();
  });

  it('completes the index job once although the replica running it dies', async () => {
    const token = (await setupAdmin(gateway.url)).access_token;
    const project = (await call<ProjectView>(gateway.url, 'POST', '/v1/projects', { token, body: { name: 'Cadre', repository: CADRE_ROOT } })).body;
    const started = await call<{ job_id: string }>(gateway.url, 'POST', `/v1/projects/${project.id}/knowledge-graph/index`, { token });
    expect(started.status).toBe(202);
    const jobPath = `/v1/projects/${project.id}/knowledge-graph/index/${started.body.job_id}`;
    const view = async () => (await call<Job>(gateway.url, 'GET', jobPath, { token })).body;

    // Once it parses, the replica that runs it is frozen in the same turn (SIGSTOP: on a loaded
    // machine it could otherwise finish before a kill lands), then killed.
    let victim: Replica | undefined;
    await eventually(async () => {
      const job = await view();
      expect(job.phase).toBe('parsing');
      victim = fleet.alive('knowledge').find((replica) => job.worker?.includes(`-${replica.child.pid}-`));
      expect(victim).toBeDefined();
      process.kill(victim!.child.pid!, 'SIGSTOP');
    }, 60_000, 10);
    await fleet.kill(victim!);
    const survivor = fleet.alive('knowledge')[0]!;

    const done = await eventually(async () => {
      const job = await view();
      expect(job.status).toBe('complete');
      return job;
    }, 90_000, 200).catch((error: Error) => { throw new Error(`${error.message}\n${fleet.report(1500)}`); });
    expect(done.worker).toContain(`-${survivor.child.pid}-`);
    expect(done.counts.files_total).toBeGreaterThan(500);

    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const completions = (await db.query(`select count(*)::int as n from knowledge.events where type = 'code_graph_index_complete'`)).rows[0];
      expect(completions).toEqual({ n: 1 });
      const nodes = (await db.query(`select count(*)::int as n, count(distinct id)::int as ids from knowledge.nodes where project_id = $1`, [project.id])).rows[0] as { n: number; ids: number };
      expect(nodes.n).toBe(nodes.ids);
      expect(nodes.n).toBeGreaterThan(done.counts.symbols!);
    } finally {
      await db.end();
    }
    // The survivor answers queries on the graph.
    const context = await call<{ callers: { qualified_name: string }[] }>(gateway.url, 'GET', `/v1/projects/${project.id}/knowledge-graph/context/checkLocalPath`, { token });
    expect(context.body.callers.map((caller) => caller.qualified_name).sort()).toEqual(expect.arrayContaining(['indexingEndpoints', 'materialize']));
  });
});
