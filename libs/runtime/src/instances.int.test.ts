import { createEmbeddedBus, type Bus, type EphemeralMessage } from '@cadre/bus';
import { LogTap } from '@cadre/logging';
import { adminSubjects, type LogBatch, type LogTailReply } from '@cadre/proto';
import { startInstanceRegistry, startReporter, watchQueueDepth, type Reporter } from '@cadre/runtime';
import { Registry } from 'prom-client';
import { createTestDatabase, eventually, type TestDatabase } from '@cadre/testing';

describe('instance heartbeats and log lines over the bus', () => {
  let database: TestDatabase;
  let bus: Bus;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const now = () => clock;

  beforeAll(async () => {
    database = await createTestDatabase();
    bus = await createEmbeddedBus({ databaseUrl: database.url });
  });
  afterAll(async () => {
    await bus.drain();
    await database.dispose();
  });

  const reporter = (instance: string, tap = new LogTap()): Promise<Reporter> =>
    startReporter({ bus, instance, service: instance.split('-')[0]!, version: '1.2.3', tap, heartbeatMs: 60_000, flushMs: 5, now });

  it('lists instances a registry started later hears of, marks silent ones stale, drops stopped ones', async () => {
    const a = await reporter('runs-a');
    const b = await reporter('agents-b');
    const registry = startInstanceRegistry({ bus, now, staleAfterMs: 15_000 });
    try {
      // The registry pinged at start; both answered with a heartbeat.
      await eventually(() => expect(registry.list().map((c) => c.id)).toEqual(['agents-b', 'runs-a']));
      expect(registry.get('runs-a')).toMatchObject({ service: 'runs', version: '1.2.3', status: 'live', transport: 'embedded', pid: process.pid });
      clock += 20_000;
      expect(registry.get('runs-a')?.status).toBe('stale');
      await b.stop();
      await eventually(() => expect(registry.list().map((c) => c.id)).toEqual(['runs-a']));
    } finally {
      await a.stop();
      await registry.stop();
    }
  });

  it('answers tails and publishes live lines only while a follow lease is held', async () => {
    const tap = new LogTap();
    const r = await reporter('identity-x', tap);
    const live: LogBatch[] = [];
    const sub = bus.ephemeral.subscribe(adminSubjects.live('identity-x'), (m: EphemeralMessage) => void live.push(m.json<LogBatch>()));
    try {
      tap.write('{"level":"info","msg":"one"}\n{"level":"error","msg":"two"}\n');
      const tail = await bus.request<LogTailReply>(adminSubjects.tail('identity-x'), { tail: 10, level: 'warn' });
      expect(tail).toMatchObject({ instance: 'identity-x', last_seq: 2, lines: [{ seq: 2, msg: 'two', level: 'error' }] });

      tap.write('{"level":"info","msg":"unwatched"}\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(live).toEqual([]);

      await bus.request(adminSubjects.tail('identity-x'), { tail: 0, follow_ms: 10_000 });
      tap.write('{"level":"info","msg":"watched"}\n');
      await eventually(() => expect(live.flatMap((b) => b.lines).map((l) => l.msg)).toEqual(['watched']));
      expect(live[0]!.lines[0]!.seq).toBe(4);

      clock += 11_000;
      tap.write('{"level":"info","msg":"lease over"}\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(live.flatMap((b) => b.lines)).toHaveLength(1);
    } finally {
      await sub.stop();
      await r.stop();
    }
  });

  it('reports the depth of a watched work queue at scrape time', async () => {
    const registry = new Registry();
    const queue = bus.workQueue('metrics-test');
    watchQueueDepth(registry, queue);
    await queue.enqueue(new TextEncoder().encode('{}'));
    await queue.enqueue(new TextEncoder().encode('{}'));
    expect(await registry.metrics()).toMatch(/cadre_work_queue_depth\{queue="metrics-test"\} 2/);
  });
});
