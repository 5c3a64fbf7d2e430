import type { RunView } from '@cadre/proto';
import { createPool } from '@cadre/runtime';
import { eventually } from '@cadre/testing';
import { setupAdmin } from '../support/auth';
import { storedEvents } from '../support/events';
import { call } from '../support/http';
import { startResumingClient } from '../support/resume';
import { startSystem, type System } from '../support/system';

/** The services whose event stores feed the bus (their Postgres schemas). */
const STORES = ['identity', 'runs', 'agents'] as const;
/** Events the agents service publishes straight to the stream (token output), not through its store. */
const STREAMED_ONLY = ['evt.agents.agent_output', 'evt.agents.agent_thinking'];
const WORKERS = 4;
const OUTAGE_MS = 3_000;
/** A command must be answered within this while NATS is down (the gateway's bus timeout is 10 s). */
const FAST_503_MS = 2_000;
/** Commands succeed again within this once nats-server is back. */
const RECOVERY_MS = 10_000;

interface Attempt {
  readonly kind: 'create' | 'get';
  readonly began: number;
  readonly ms: number;
  readonly status: number;
  readonly body: unknown;
  readonly retryAfter: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Workers that start demo runs and read them back, one request after another, until stopped. */
function startLoad(system: System, token: string, pauseMs = 40) {
  const attempts: Attempt[] = [];
  const created: string[] = [];
  let stopped = false;
  const attempt = async (kind: Attempt['kind'], send: () => ReturnType<typeof call>) => {
    const began = Date.now();
    let reply;
    try {
      reply = await send();
    } catch (error) {
      // A connection the gateway did not answer at all: the worst outcome, recorded as status 0.
      attempts.push({ kind, began, ms: Date.now() - began, status: 0, body: String(error), retryAfter: null });
      return undefined;
    }
    attempts.push({ kind, began, ms: Date.now() - began, status: reply.status, body: reply.body, retryAfter: reply.headers.get('retry-after') });
    return reply;
  };
  const worker = async (w: number) => {
    for (let i = 0; !stopped; i++) {
      const reply = await attempt('create', () => call<RunView>(system.baseUrl, 'POST', '/v1/runs', {
        token, body: { pipeline_id: 'demo', task_description: `outage load ${w}.${i}`, project_name: 'outage' },
      }));
      if (reply?.status === 201) created.push((reply.body as RunView).id);
      const known = created.at(-1);
      if (known !== undefined) await attempt('get', () => call(system.baseUrl, 'GET', `/v1/runs/${known}`, { token }));
      await sleep(pauseMs);
    }
  };
  const running = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  return {
    attempts,
    created,
    succeededSince: (time: number) => attempts.filter((a) => a.kind === 'create' && a.status === 201 && a.began >= time).length,
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))] ?? 0;

/** One stop of nats-server and what the load saw around it. */
interface Outage {
  readonly how: 'SIGTERM' | 'SIGKILL';
  /** When the stop was asked for, when the server was gone, when the start was asked for, when it listened again. */
  readonly stopCalled: number;
  readonly down: number;
  readonly startCalled: number;
  readonly up: number;
  /** End of the first successful command after the restart. */
  readonly recovered: number;
  readonly readyWhileDown: number;
}

describe('nats-server stopped during load (services in-process, each with its own NATS connection; Postgres)', () => {
  let system: System;
  let token: string;
  beforeAll(async () => {
    system = await startSystem({ transport: 'nats', controllableNats: true, orchestration: {} });
    token = (await setupAdmin(system.baseUrl)).access_token;
  });
  afterAll(() => system?.stop());

  it('answers 503 quickly while NATS is down, works again once it is back, completes every run and loses no event', async () => {
    const nats = system.nats!;
    // A client of the whole stream from its start, resuming whenever the gateway ends its stream.
    const watcher = startResumingClient({ baseUrl: system.baseUrl, token, startAfter: 0 });
    const load = startLoad(system, token);
    let natsDown = false;
    /** Stops nats-server (gracefully, or killed), keeps it down a while under load, starts it again (same port and store). */
    const outage = async (how: Outage['how']): Promise<Outage> => {
      const stopCalled = Date.now();
      natsDown = true;
      await nats.stop({ hard: how === 'SIGKILL' });
      const down = Date.now();
      await sleep(OUTAGE_MS);
      const readyWhileDown = (await call(system.baseUrl, 'GET', '/v1/ready')).status;
      const startCalled = Date.now();
      await nats.start();
      natsDown = false;
      const up = Date.now();
      await eventually(() => expect(load.succeededSince(up)).toBeGreaterThanOrEqual(1), RECOVERY_MS, 25);
      const recovered = Math.min(...load.attempts.filter((a) => a.kind === 'create' && a.status === 201 && a.began >= up).map((a) => a.began + a.ms));
      return { how, stopCalled, down, startCalled, up, recovered, readyWhileDown };
    };
    try {
      await eventually(() => expect(load.succeededSince(0)).toBeGreaterThanOrEqual(12), 30_000, 50);
      const outages: Outage[] = [];
      for (const how of ['SIGTERM', 'SIGKILL'] as const) {
        outages.push(await outage(how));
        // A stretch of normal service under the same load.
        await sleep(2_000);
      }
      await load.stop();
      const loadStopped = Date.now();

      console.log(JSON.stringify({ attempts: load.attempts.length, statuses: countBy(load.attempts.map((a) => `${a.kind} ${a.status}`)) }));
      // Around a cut, a request in flight may fail, but only as a 503: never a 500 or a dropped connection.
      expect(load.attempts.filter((a) => ![200, 201, 503].includes(a.status))).toEqual([]);
      for (const [i, o] of outages.entries()) {
        const during = load.attempts.filter((a) => a.began >= o.down && a.began + a.ms <= o.startCalled);
        // Every request that overlapped the outage, including those in flight at the cut.
        const overlapping = load.attempts.filter((a) => a.began + a.ms >= o.stopCalled && a.began <= o.startCalled);
        const next = outages[i + 1];
        const after = load.attempts.filter((a) => a.began >= o.recovered && (next === undefined || a.began + a.ms < next.stopCalled));
        console.log(JSON.stringify({
          how: o.how, stopMs: o.down - o.stopCalled, downMs: o.startCalled - o.down, natsStartMs: o.up - o.startCalled, recoveryMs: o.recovered - o.up,
          duringOutage: { count: during.length, p50Ms: quantile(during.map((a) => a.ms), 0.5), maxMs: Math.max(...overlapping.map((a) => a.ms)) },
          readyWhileDown: o.readyWhileDown, afterRecovery: countBy(after.map((a) => `${a.kind} ${a.status}`)),
        }));
        // While NATS is down: every request is refused with the error envelope and Retry-After…
        expect(during.length).toBeGreaterThanOrEqual(20);
        for (const a of during) {
          expect({ how: o.how, status: a.status, body: a.body, retryAfter: a.retryAfter }).toEqual({
            how: o.how, status: 503, body: { error: expect.any(String), code: expect.stringMatching(/^(unavailable|timeout)$/) }, retryAfter: '1',
          });
        }
        // …quickly, far below the gateway's bus timeout.
        expect({ how: o.how, slow: overlapping.filter((a) => a.ms >= FAST_503_MS) }).toEqual({ how: o.how, slow: [] });
        expect(o.readyWhileDown).toBe(503);
        // Back within the bound, and from then on nothing but successes.
        expect(o.recovered - o.up).toBeLessThan(RECOVERY_MS);
        expect(after.length).toBeGreaterThanOrEqual(12);
        expect({ how: o.how, failed: after.filter((a) => a.status >= 300) }).toEqual({ how: o.how, failed: [] });
      }

      // Every run accepted with a 201 completes — and so does any run a cut left without a reply.
      const accepted = new Set(load.created);
      const runs = await eventually(async () => {
        const reply = await call<{ runs: RunView[]; total: number }>(system.baseUrl, 'GET', '/v1/runs?pipeline_id=demo&limit=500', { token });
        expect(reply.status).toBe(200);
        expect(reply.body.total).toBe(reply.body.runs.length);
        expect(reply.body.runs.filter((r) => r.status !== 'completed').map((r) => `${r.id} ${r.status}`)).toEqual([]);
        return reply.body.runs;
      }, 60_000, 250);
      expect(runs.map((r) => r.id).filter((id) => accepted.has(id)).sort()).toEqual([...accepted].sort());
      const slowest = Math.max(...runs.map((r) => Date.parse(r.completed_at!) - Date.parse(r.created_at)));
      console.log(`${runs.length} runs (${accepted.size} answered 201) completed ${Date.now() - loadStopped} ms after the load stopped; slowest run took ${slowest} ms`);

      // The relays may still be publishing the load's last events (a run's status is read from
      // its read model, written before the relay publishes): wait until every outbox is empty.
      const counter = createPool({ connectionString: system.database.url, max: 1 });
      try {
        await eventually(async () => {
          for (const schema of STORES) {
            const outbox = await counter.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.outbox`);
            expect({ schema, outbox: Number(outbox.rows[0]!.n) }).toEqual({ schema, outbox: 0 });
          }
        }, 30_000, 200);
      } finally {
        await counter.end();
      }
      // No event lost: every event of every store reached the stream, once.
      const lastSeq = await system.bus.events.lastSeq();
      const onBus = await storedEvents(system.bus, 1, lastSeq);
      const onBusIds = new Set(onBus.map((e) => e.envelopeId));
      expect(onBusIds.size).toBe(onBus.length);
      const storeIds = new Set<string>();
      const pool = createPool({ connectionString: system.database.url, max: 1 });
      try {
        for (const schema of STORES) {
          const { rows } = await pool.query<{ id: string }>(`SELECT id FROM ${schema}.events ORDER BY position`);
          const missing = rows.map((r) => r.id).filter((id) => !onBusIds.has(id));
          expect({ schema, missing }).toEqual({ schema, missing: [] });
          for (const row of rows) storeIds.add(row.id);
        }
      } finally {
        await pool.end();
      }
      // And nothing on the stream that no store holds, but the agents' streamed output (published straight to the stream, never stored).
      const unstored = onBus.filter((e) => !storeIds.has(e.envelopeId)).map((e) => e.subject.split('.').slice(0, 3).join('.'));
      expect([...new Set(unstored)].filter((subject) => !STREAMED_ONLY.includes(subject))).toEqual([]);
      expect(onBus.length - unstored.length).toBe(storeIds.size);
      // The SSE client, connected through both outages, saw exactly the stream: no gap, no duplicate.
      await watcher.reach(lastSeq, 30_000);
      expect(watcher.ids).toEqual(onBus.map((e) => e.seq));
      console.log(JSON.stringify({ events: onBus.length, stored: storeIds.size, sseConnections: watcher.connections(), sseFailures: Object.fromEntries(watcher.failures()) }));
    } finally {
      await load.stop();
      await watcher.stop();
      if (natsDown) await nats.start();
    }
  });
});

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
