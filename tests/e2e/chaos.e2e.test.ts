import { connectNatsBus, type Bus } from '@cadre/bus';
import type { RunView } from '@cadre/proto';
import { createPool } from '@cadre/runtime';
import { createTestDatabase, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import type { Pool } from 'pg';
import { ADMIN, login, setupAdmin } from '../support/auth';
import { Fleet, type FleetService, type Replica } from '../support/fleet';
import { StreamFollower } from '../support/follower';
import { call } from '../support/http';

/*
 * Issue 6: distributed on NATS + Postgres with two replicas of every service, 200 runs of the
 * demo pipeline execute while one replica of each service in turn is SIGKILLed (and replaced);
 * every run completes, and an SSE client that followed it all — reconnecting to the other
 * gateway with Last-Event-ID when its own was killed — saw every event exactly once.
 */

const RUNS = 200;
const SERVICES: readonly FleetService[] = ['identity', 'runs', 'agents', 'gateway'];
/** Replicas killed one after another, each service twice: the two first replicas of each die. */
const KILLS: readonly FleetService[] = ['runs', 'agents', 'identity', 'gateway', 'runs', 'agents', 'identity', 'gateway'];
/** The first kill after this many runs were created, then one every KILL_SPACING runs. */
const FIRST_KILL = 10;
const KILL_SPACING = Math.floor((RUNS - 2 * FIRST_KILL) / KILLS.length);
/** Creates in flight, and each creator's pause between two creates (spreads creation over the kills). */
const CREATORS = 4;
const CREATE_PAUSE_MS = 250;
const DEMO_STEPS = ['outline', 'draft', 'summary'] as const;
/** Events published straight to the stream by the executor, never stored (so not in any events table). */
const EPHEMERAL_TYPES = new Set(['agent_output', 'agent_thinking']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Seen {
  readonly seq: number;
  readonly type: string;
  /** The envelope's own id (the event id for stored events). */
  readonly eventId: string;
  readonly data: Record<string, unknown>;
}

const parse = (event: { id: number; event: string; data: string }): Seen => {
  const envelope = JSON.parse(event.data) as { id: string; data?: Record<string, unknown> };
  return { seq: event.id, type: event.event, eventId: envelope.id, data: envelope.data ?? {} };
};

/** fetch's own failure (no HTTP answer); its TypeError comes from another realm than jest's, so no instanceof. */
const networkError = (error: unknown): boolean => (error as Error).name === 'TypeError' && (error as Error).message === 'fetch failed';
/** True when fetch never reached the server (connection refused): nothing was sent, a retry is safe. */
const refused = (error: unknown): boolean => networkError(error) && (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';

/** Problems in one run's lifecycle on the stream; empty when it is the demo's full, well-formed sequence. */
function lifecycleProblems(events: readonly Seen[]): string[] {
  const problems: string[] = [];
  const lifecycle = events.filter((e) => e.type.startsWith('run_') || e.type.startsWith('step_'));
  const count = (type: string, step?: string) => lifecycle.filter((e) => e.type === type && (step === undefined || e.data.step_id === step)).length;
  if (lifecycle[0]?.type !== 'run_created' || count('run_created') !== 1) problems.push('not exactly one run_created, first');
  if (lifecycle.at(-1)?.type !== 'run_complete' || count('run_complete') !== 1) problems.push('not exactly one run_complete, last');
  const unexpected = lifecycle.filter((e) => !['run_created', 'run_complete', 'step_queued', 'step_started', 'step_complete'].includes(e.type));
  if (unexpected.length > 0) problems.push(`unexpected events: ${unexpected.map((e) => e.type).join(', ')}`);
  let after = 0;
  for (const step of DEMO_STEPS) {
    const at = (type: string) => lifecycle.flatMap((e, i) => (e.type === type && e.data.step_id === step ? [i] : []));
    const [queued, started, complete] = [at('step_queued'), at('step_started'), at('step_complete')];
    // A job whose executor was killed is redelivered and started again; it is queued and completed once.
    if (queued.length !== 1 || started.length < 1 || complete.length !== 1) {
      problems.push(`${step}: queued ${queued.length}, started ${started.length}, complete ${complete.length}`);
      continue;
    }
    if (!(after <= queued[0]! && queued[0]! < started[0]! && started.at(-1)! < complete[0]!)) problems.push(`${step}: out of order`);
    if (lifecycle.some((e) => e.data.step_id === step && e.data.attempt !== 1)) problems.push(`${step}: an attempt other than 1`);
    after = complete[0]!;
    if (!events.some((e) => e.type === 'llm_call' && e.data.step_id === step)) problems.push(`${step}: no llm_call`);
  }
  return problems;
}

describe('chaos: two replicas of every service on NATS and Postgres, killed in turn while runs execute', () => {
  let nats: TestNats;
  let database: TestDatabase;
  let pool: Pool;
  let bus: Bus;
  let fleet: Fleet;

  beforeAll(async () => {
    nats = await startNats();
    database = await createTestDatabase('cadre_chaos');
    pool = createPool({ connectionString: database.url, max: 2 });
    fleet = new Fleet({
      DATABASE_URL: database.url, NATS_URL: nats.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn',
      // A job whose executor died goes to another one after 2 s without a heartbeat.
      AGENTS_JOB_ACK_WAIT_MS: '2000',
      // A report lost with a killed runs replica is retried (by the job) after 5 s, not 15.
      AGENTS_REPORT_TIMEOUT_MS: '5000',
    });
    try {
      // Both replicas of each service at once, on a fresh database: they race to set it up.
      await Promise.all(SERVICES.flatMap((service) => [fleet.startReady(service), fleet.startReady(service)]));
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${fleet.report()}`);
    }
    bus = await connectNatsBus({ servers: nats.url, name: 'chaos-test' });
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
    await bus?.drain().catch(() => undefined);
    await pool?.end();
    await database?.dispose();
    await nats?.dispose();
  });

  it('completes every run, and a client following the stream across gateway kills sees every event exactly once', async () => {
    const began = Date.now();
    const gateways = () => fleet.alive('gateway');
    await setupAdmin(gateways()[0]!.url);
    const token = (await login(gateways()[1]!.url, ADMIN.email, ADMIN.password)).access_token;

    // The SSE client: the whole stream from its first event, as an admin (every domain), and
    // on the other live gateway whenever its connection ends.
    const follower = new StreamFollower({
      token, startAfter: 0,
      target: (previous) => {
        const live = gateways();
        return (live.find((g) => g.url !== previous) ?? live[0])?.url;
      },
    });

    // Creates, spread over the live gateways. Not idempotent: one refused before it reached a
    // gateway is sent again elsewhere; one whose outcome is unknown (connection cut, 503, 504)
    // is never repeated, but remembered, and the run it may have made is held to the same
    // standard. Any other answer fails the test.
    const confirmed = new Map<string, string>();
    const uncertain = new Set<string>();
    let next = 0;
    let inFlight = 0;
    let turn = 0;
    // Set when the test fails midway, so that the creators and the chaos loop end with it.
    let abandoned = false;
    const create = async (task: string): Promise<void> => {
      for (let tries = 0; ; tries++) {
        const live = gateways();
        const gateway = live[turn++ % live.length]!;
        try {
          const reply = await call<RunView>(gateway.url, 'POST', '/v1/runs', { token, body: { pipeline_id: 'demo', task_description: task } });
          if (reply.status === 201) confirmed.set(reply.body.id, task);
          // Unavailable or timed out: the runs replica that had it may have died after the append.
          else if (reply.status === 503 || reply.status === 504) uncertain.add(task);
          else throw new Error(`create "${task}" through ${gateway.name}: ${reply.status} ${JSON.stringify(reply.body)}`);
          return;
        } catch (error) {
          if (refused(error) && tries < 100) {
            await sleep(50);
            continue;
          }
          if (!networkError(error)) throw error;
          uncertain.add(task);
          return;
        }
      }
    };
    const creator = async (): Promise<void> => {
      while (confirmed.size + inFlight < RUNS && !abandoned) {
        inFlight++;
        try {
          await create(`chaos run ${next++}`);
        } finally {
          inFlight--;
        }
        await sleep(CREATE_PAUSE_MS);
      }
    };

    // One replica of each service in turn, SIGKILLed while runs are created and executed, and
    // replaced at once; the gateway killed is the one the SSE client is reading from.
    const kills: string[] = [];
    const replacements: Array<Promise<Replica>> = [];
    const chaos = async (): Promise<void> => {
      for (const [k, service] of KILLS.entries()) {
        while (confirmed.size < FIRST_KILL + k * KILL_SPACING) {
          if (abandoned) return;
          await sleep(20);
        }
        const alive = fleet.alive(service);
        const victim = (service === 'gateway' ? alive.find((g) => g.url === follower.gateway) : undefined) ?? alive[0]!;
        // The other replica is up before this one dies: the service is never gone altogether.
        for (const other of alive) if (other !== victim) await fleet.ready(other);
        await fleet.kill(victim);
        kills.push(`${victim.name} at ${confirmed.size} runs, ${Date.now() - began} ms`);
        const replacement = fleet.startReady(service);
        replacement.catch(() => undefined); // awaited (and reported) after the creates
        replacements.push(replacement);
      }
    };

    try {
      await Promise.all([...Array.from({ length: CREATORS }, creator), chaos()]);
      const createdAt = Date.now() - began;
      expect(confirmed.size).toBe(RUNS);
      await Promise.all(replacements);

      // The runs that exist, from the runs service's store: the 200 confirmed and any made by a
      // create whose answer was lost; nothing else.
      const created = await pool.query<{ run_id: string; task: string }>(
        `select data->>'run_id' as run_id, data->>'task_description' as task from runs.events where type = 'run_created'`);
      const runTasks = new Map(created.rows.map((row) => [row.run_id, row.task]));
      for (const [id, task] of confirmed) expect(runTasks.get(id)).toBe(task);
      const orphans = [...runTasks].filter(([id]) => !confirmed.has(id));
      for (const [, task] of orphans) expect(uncertain.has(task)).toBe(true);
      expect(new Set(created.rows.map((row) => row.task)).size).toBe(created.rows.length);
      const runIds = [...runTasks.keys()];

      // Every run ends, as the stream tells it...
      const ended = () => {
        const done = new Set(follower.events.filter((e) => e.event === 'run_complete' || e.event === 'run_failed').map((e) => parse(e).data.run_id));
        return runIds.every((id) => done.has(id));
      };
      await follower.waitUntil(ended, 120_000, 'the end of every run').catch((error: unknown) => console.warn((error as Error).message));
      const endedAt = Date.now() - began;
      // ...and as the API tells it.
      const statuses = new Map<string, string>();
      for (const id of runIds) {
        for (let tries = 0; !statuses.has(id); tries++) {
          const gateway = gateways()[tries % gateways().length]!;
          const reply = await call<RunView>(gateway.url, 'GET', `/v1/runs/${id}`, { token }).catch(() => undefined);
          if (reply?.status === 200) statuses.set(id, reply.body.status);
          else if (tries > 20) throw new Error(`GET /v1/runs/${id}: ${reply?.status ?? 'no answer'}`);
          else await sleep(100);
        }
      }
      expect({ notCompleted: [...statuses].filter(([, status]) => status !== 'completed') }).toEqual({ notCompleted: [] });

      // Everything stored was relayed, and the client got to the end of the stream.
      for (const schema of ['identity', 'runs', 'agents']) {
        const left = async () => Number((await pool.query<{ n: string }>(`select count(*) as n from ${schema}.outbox`)).rows[0]!.n);
        for (const deadline = Date.now() + 30_000; (await left()) > 0 && Date.now() < deadline;) await sleep(100);
        expect({ [`${schema}.outbox`]: await left() }).toEqual({ [`${schema}.outbox`]: 0 });
      }
      const lastSeq = await bus.events.lastSeq();
      await follower.waitUntil(() => follower.lastId >= lastSeq, 30_000, `event ${lastSeq}`);
      await follower.stop();

      // Exactly once: every id of the stream, from the first to the last, once, in order.
      const times = new Map<number, number>();
      for (const event of follower.events) times.set(event.id, (times.get(event.id) ?? 0) + 1);
      expect({ duplicatedIds: [...times].filter(([, n]) => n > 1).map(([id, n]) => `${id} x${n}`) }).toEqual({ duplicatedIds: [] });
      expect({ missedIds: Array.from({ length: lastSeq }, (_, i) => i + 1).filter((id) => !times.has(id)) }).toEqual({ missedIds: [] });
      const ids = follower.events.map((e) => e.id);
      expect({ outOfOrder: ids.filter((id, i) => i > 0 && id <= ids[i - 1]!) }).toEqual({ outOfOrder: [] });

      // The same, event for event, as the stream replayed by a fresh client from the start.
      const replay = new StreamFollower({ token, startAfter: 0, target: () => gateways()[0]?.url });
      await replay.waitUntil(() => replay.lastId >= lastSeq, 30_000, `replay to ${lastSeq}`);
      await replay.stop();
      const replayed = new Map(replay.events.map((e) => [e.id, `${e.event} ${e.data}`]));
      expect(replayed.size).toBeGreaterThanOrEqual(lastSeq);
      expect({ differFromReplay: follower.events.filter((e) => e.id <= lastSeq && replayed.get(e.id) !== `${e.event} ${e.data}`).map((e) => e.id) })
        .toEqual({ differFromReplay: [] });

      // Every event the services stored, in the stream once; nothing else in it but ephemeral output.
      const seen = follower.events.filter((e) => e.id <= lastSeq).map(parse);
      const byEventId = new Map<string, number>();
      for (const event of seen) byEventId.set(event.eventId, (byEventId.get(event.eventId) ?? 0) + 1);
      expect({ eventsSeenTwice: [...byEventId].filter(([, n]) => n > 1) }).toEqual({ eventsSeenTwice: [] });
      const stored = await pool.query<{ id: string; type: string }>(
        `select id::text, type from identity.events union all select id::text, type from runs.events union all select id::text, type from agents.events`);
      expect({ storedNotSeenOnce: stored.rows.filter((row) => byEventId.get(row.id) !== 1) }).toEqual({ storedNotSeenOnce: [] });
      const storedIds = new Set(stored.rows.map((row) => row.id));
      expect({ seenNotStored: seen.filter((e) => !storedIds.has(e.eventId) && !EPHEMERAL_TYPES.has(e.type)).map((e) => `${e.seq} ${e.type}`) })
        .toEqual({ seenNotStored: [] });

      // Each run's lifecycle, as the client saw it: created, its three steps queued, started and
      // completed in order, complete.
      const byRun = new Map<string, Seen[]>(runIds.map((id) => [id, []]));
      for (const event of seen) {
        const runId = event.data.run_id;
        if (typeof runId === 'string') byRun.get(runId)?.push(event);
      }
      const malformed = [...byRun].flatMap(([id, events]) => {
        const problems = lifecycleProblems(events);
        return problems.length === 0 ? [] : [`${id} (${runTasks.get(id)}): ${problems.join('; ')}`];
      });
      expect({ malformedRuns: malformed }).toEqual({ malformedRuns: [] });

      const restarts = [...byRun.values()].reduce((n, events) => n + events.filter((e) => e.type === 'step_started').length - DEMO_STEPS.length, 0);
      console.log([
        `${runIds.length} runs (${RUNS} confirmed, ${orphans.length} from creates whose answer was lost; ${uncertain.size} uncertain creates) created in ${createdAt} ms, all ended in ${endedAt} ms, checked in ${Date.now() - began} ms`,
        `kills: ${kills.join('; ')}`,
        `stream: ${lastSeq} events, ${follower.connections.length} connections (${follower.connections.map((c) => `${c.url.split(':').at(-1)} after ${c.resumedAfter}: ${c.events}`).join(', ')}), ${follower.failures.length} failed connects`,
        `steps started again after a kill: ${restarts}`,
      ].join('\n'));
    } catch (error) {
      abandoned = true;
      await follower.stop();
      throw new Error(`${(error as Error).message}\nkills: ${kills.join('; ')}\n${fleet.report()}`, { cause: error });
    }
  }, 240_000);
});
