import { freePort } from '@cadre/testing';
import { setupAdmin } from '../support/auth';
import { publishEvent, storedEvents, type StoredEvent, type TestEvent } from '../support/events';
import { spawnService, type ServiceProcess } from '../support/process';
import { startResumingClient, type ResumingClient } from '../support/resume';
import { startSystem, type System } from '../support/system';

const RUNS = ['run-restart-a', 'run-restart-b'] as const;
/**
 * Per restart: clients of the whole stream, of each run's events (their resume replays with a
 * subject filter), and of everything from the stream's start (a backlog replayed first).
 */
const WHOLE_STREAM_CLIENTS = 6;
const CLIENTS_PER_RUN = 2;
const FROM_START_CLIENTS = 2;

const stepQueued = (run: string, i: number): TestEvent => ({
  domain: 'runs', type: 'step_queued', scope: run, data: { run_id: run, step_id: `s${i}`, attempt: 1 },
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Publishes events of the two runs on the bus (as the outbox relays do) until stopped; a few hundred a second. */
function startProducer(system: System, publishers = 4, pauseMs = 10): { published: () => number; stop: () => Promise<number> } {
  let stopped = false;
  let count = 0;
  let last = 0;
  const publisher = async () => {
    while (!stopped) {
      const i = count++;
      last = Math.max(last, await publishEvent(system.bus, stepQueued(RUNS[i % RUNS.length]!, i)));
      await sleep(pauseMs);
    }
  };
  const running = Promise.all(Array.from({ length: publishers }, publisher));
  return {
    published: () => count,
    stop: async () => {
      stopped = true;
      await running;
      return last;
    },
  };
}

interface Watcher {
  readonly client: ResumingClient;
  readonly startAfter: number;
  /** Which stored events this client is owed. */
  readonly wants: (event: StoredEvent) => boolean;
  readonly label: string;
}

describe('the gateway restarted while SSE clients are connected (own process, NATS and Postgres)', () => {
  let system: System;
  let token: string;
  let port: number;
  let gateway: ServiceProcess | undefined;
  let env: Record<string, string>;

  /** A gateway replica as its own process (the one entry point under tsx), on the suite's fixed port. */
  const startGateway = async (): Promise<{ proc: ServiceProcess; ms: number }> => {
    const began = Date.now();
    const proc = await spawnService('gateway', env, 30_000, 'gateway listening');
    return { proc, ms: Date.now() - began };
  };

  beforeAll(async () => {
    // identity (which resolves tokens) and the bus come from the in-process system; the gateway under test is a process of its own.
    system = await startSystem({ transport: 'nats' });
    token = (await setupAdmin(system.baseUrl)).access_token;
    port = await freePort();
    env = { DATABASE_URL: system.database.url, NATS_URL: system.nats!.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' };
    gateway = (await startGateway()).proc;
  });
  afterAll(async () => {
    await gateway?.kill();
    await system?.stop();
  });

  const baseUrl = () => `http://127.0.0.1:${port}`;

  /** Clients of the whole stream and of each run, all resuming from `startAfter`. */
  const connectClients = (startAfter: number): Watcher[] => {
    const watchers: Watcher[] = [];
    for (let i = 0; i < WHOLE_STREAM_CLIENTS; i++) {
      watchers.push({ client: startResumingClient({ baseUrl: baseUrl(), token, startAfter }), startAfter, wants: () => true, label: `all-${i}` });
    }
    for (const run of RUNS) {
      for (let i = 0; i < CLIENTS_PER_RUN; i++) {
        watchers.push({
          client: startResumingClient({ baseUrl: baseUrl(), token, startAfter, query: { run_id: run } }),
          startAfter,
          wants: (event) => event.subject.split('.')[3] === run,
          label: `${run}-${i}`,
        });
      }
    }
    for (let i = 0; i < FROM_START_CLIENTS; i++) {
      watchers.push({ client: startResumingClient({ baseUrl: baseUrl(), token, startAfter: 0 }), startAfter: 0, wants: () => true, label: `from-start-${i}` });
    }
    return watchers;
  };

  /**
   * Clients are connected and events flow; the gateway is stopped (`how`) and a new one started
   * on the same port while the producer goes on. Every client must end with exactly the
   * events the stream holds after its starting point (its run's only, when filtered): same
   * ids, same event ids, in order, none missing, none twice.
   */
  const survivesRestart = async (how: 'SIGTERM' | 'SIGKILL') => {
    const start = await system.bus.events.lastSeq();
    const watchers = connectClients(start);
    const producer = startProducer(system);
    try {
      // Every client is live on the old gateway and has events from it.
      await Promise.all(watchers.map((w) => w.client.waitForCount(20).catch((error: Error) => {
        throw new Error(`${w.label}: ${error.message}; counts ${JSON.stringify(watchers.map((x) => [x.label, x.client.ids.length]))}\n${gateway!.output().slice(-3000)}`);
      })));
      const beforeStop = watchers.map((w) => w.client.connections());
      expect(beforeStop.every((n) => n === 1)).toBe(true);

      const stoppedAt = Date.now();
      if (how === 'SIGTERM') {
        expect(await gateway!.terminate()).toBe(0);
      } else {
        await gateway!.kill();
        expect(gateway!.child.signalCode).toBe('SIGKILL');
      }
      const stopMs = Date.now() - stoppedAt;
      const producedAtStop = producer.published();
      const next = await startGateway();
      gateway = next.proc;
      const downMs = Date.now() - stoppedAt;
      const producedWhileDown = producer.published() - producedAtStop;

      // Each client reconnects by itself; events keep flowing a while through the new gateway.
      await sleep(1000);
      const final = await producer.stop();
      const stored = await storedEvents(system.bus, 1, final);
      const expected = watchers.map((w) => stored.filter((e) => e.seq > w.startAfter && w.wants(e)));
      await Promise.all(watchers.map((w, i) => w.client.reach(expected[i]!.at(-1)!.seq, 30_000)));
      await Promise.all(watchers.map((w) => w.client.stop()));

      console.log(JSON.stringify({
        how, clients: watchers.length, stopMs, downMs, newGatewayStartMs: next.ms, events: final - start, streamLength: final,
        producedWhileDown,
        connections: watchers.map((w) => w.client.connections()),
        refused: watchers.map((w) => Object.fromEntries(w.client.failures())),
      }));
      for (const [i, w] of watchers.entries()) {
        const want = expected[i]!;
        // Same sequence ids as the stream holds, each once, in order…
        expect({ client: w.label, ids: w.client.ids }).toEqual({ client: w.label, ids: want.map((e) => e.seq) });
        // …carrying the same events.
        const got = w.client.events.map((e) => `${e.id} ${e.event} ${(JSON.parse(e.data) as { id: string }).id}`);
        expect(got).toEqual(want.map((e) => `${e.seq} ${e.subject.split('.')[2]} ${e.envelopeId}`));
        // It really was cut off and came back: one stream per gateway at least.
        expect(w.client.connections()).toBeGreaterThanOrEqual(2);
      }
      // The clients had a backlog to replay: events were produced while no gateway was up.
      expect(producedWhileDown).toBeGreaterThan(0);
    } finally {
      await producer.stop();
      await Promise.all(watchers.map((w) => w.client.stop()));
    }
  };

  it('SIGTERM: every client resumes on the new gateway with Last-Event-ID, with no gap and no duplicate', async () => {
    await survivesRestart('SIGTERM');
  });

  it('SIGKILL: every client resumes on the new gateway with Last-Event-ID, with no gap and no duplicate', async () => {
    await survivesRestart('SIGKILL');
  });
});
