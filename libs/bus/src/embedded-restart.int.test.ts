import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { UnavailableError } from '@cadre/proto';
import { createTestDatabase, eventually, startEmbeddedPostgres, type EmbeddedPostgresServer, type TestDatabase } from '@cadre/testing';
import { createEmbeddedBus } from './embedded';
import type { Bus, DeliveredMessage, Job } from './types';

/** Nothing lost, nothing acked replayed: across a clean restart, a kill -9, and a Postgres restart. */

const ROOT = join(__dirname, '..', '..', '..');
const CHILD = join(__dirname, '..', 'test-fixtures', 'crash-child.ts');
const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
let counter = 0;
const unique = (prefix: string): string => `${prefix}_${process.pid}_${Date.now()}_${counter++}`;

describe('embedded bus across restarts', () => {
  let database: TestDatabase;
  let publisher: Bus;

  beforeAll(async () => {
    database = await createTestDatabase('cadre_bus');
    publisher = await createEmbeddedBus({ databaseUrl: database.url });
  });
  afterAll(async () => {
    await publisher.drain();
    await database.dispose();
  });

  const publish = async (topic: string, acks: boolean[]): Promise<number[]> => {
    const seqs: number[] = [];
    for (const [i, ack] of acks.entries()) seqs.push((await publisher.events.publish(`${topic}.m${i}`, bytes({ i, ack }), { msgId: unique('id') })).seq);
    return seqs;
  };

  it('resumes a durable consumer after a drained bus: unacked messages come back, acked ones do not', async () => {
    const topic = `evt.${unique('clean')}`;
    const durable = unique('d');
    const seqs = await publish(topic, [true, false, true, false, true]);
    const first = await createEmbeddedBus({ databaseUrl: database.url });
    const seen: number[] = [];
    await first.events.consume({ durable, filterSubject: `${topic}.>`, ackWaitMs: 800 }, async (m) => {
      seen.push(m.seq);
      if (m.json<{ ack: boolean }>().ack) await m.ack();
    });
    await eventually(() => expect(seen).toHaveLength(5));
    await first.drain();

    const second = await createEmbeddedBus({ databaseUrl: database.url });
    const again: Array<[number, number]> = [];
    await second.events.consume({ durable, filterSubject: `${topic}.>`, ackWaitMs: 800 }, async (m) => {
      again.push([m.seq, m.deliveryCount]);
      await m.ack();
    });
    try {
      await eventually(() => expect(again).toHaveLength(2));
      const [late] = await publish(topic, [true]);
      await eventually(() => expect(again).toHaveLength(3));
      await sleep(300);
      expect(again).toEqual([[seqs[1], 2], [seqs[3], 2], [late, 1]]);
    } finally {
      await second.drain();
    }
  });

  it('after kill -9, redelivers what the dead process held and re-runs its job after the lease', async () => {
    const topic = `evt.${unique('crash')}`;
    const durable = unique('d');
    const queueName = unique('wq');
    const child = startChild([database.url, durable, `${topic}.>`, queueName]);
    try {
      await child.line(/^ready$/);
      // Published after the child started waiting: only a NOTIFY can wake it (its poll is a minute).
      const seqs = await publish(topic, [true, false, true, false]);
      const { jobId } = await publisher.workQueue(queueName).enqueue(bytes({ job: 1 }));
      await child.line(new RegExp(`^got ${seqs[3]} held$`));
      await child.line(new RegExp(`^job ${jobId} 1$`));
      expect(child.lines.filter((l) => l.startsWith('got'))).toEqual([
        `got ${seqs[0]} acked`, `got ${seqs[1]} held`, `got ${seqs[2]} acked`, `got ${seqs[3]} held`,
      ]);
      child.process.kill('SIGKILL');
      await child.exited;

      const survivor = await createEmbeddedBus({ databaseUrl: database.url, pollIntervalMs: 200 });
      const redelivered: DeliveredMessage[] = [];
      const jobs: Job[] = [];
      await survivor.events.consume({ durable, filterSubject: `${topic}.>`, ackWaitMs: 1_500 }, async (m) => {
        redelivered.push(m);
        await m.ack();
      });
      await survivor.workQueue(queueName).process(async (job) => {
        jobs.push(job);
      }, { ackWaitMs: 1_500 });
      try {
        await eventually(() => expect(redelivered).toHaveLength(2), 8_000);
        await eventually(() => expect(jobs).toHaveLength(1), 8_000);
        await sleep(300);
        expect(redelivered.map((m) => [m.seq, m.deliveryCount])).toEqual([[seqs[1], 2], [seqs[3], 2]]);
        expect(jobs.map((j) => [j.jobId, j.attempt])).toEqual([[jobId, 2]]);
        await eventually(async () => expect(await survivor.workQueue(queueName).depth()).toBe(0));
      } finally {
        await survivor.drain();
      }
    } finally {
      child.process.kill('SIGKILL');
    }
  });
});

describe('embedded bus while Postgres restarts', () => {
  let server: EmbeddedPostgresServer;

  beforeAll(async () => {
    server = await startEmbeddedPostgres();
  });
  afterAll(async () => {
    await server.dispose();
  });

  // Over TCP (a database elsewhere), and over the server's Unix socket (npm start's own Postgres),
  // whose file is gone while the server is down.
  it.each([
    ['TCP', (s: EmbeddedPostgresServer) => s.url],
    ['its Unix socket', (s: EmbeddedPostgresServer) => s.localUrl],
  ])('fails publishes with UnavailableError while the database is down, then carries on, consumers included (over %s)', async (over, urlOf) => {
    const databaseUrl = urlOf(server);
    if (over !== 'TCP') expect(new URL(databaseUrl).searchParams.get('host')).toBeTruthy();
    const topic = over === 'TCP' ? 'outage' : 'outage_socket';
    const bus = await createEmbeddedBus({ databaseUrl, pollIntervalMs: 200 });
    const received = new Set<number>();
    await bus.events.consume({ durable: topic, filterSubject: `evt.${topic}.>` }, async (m) => {
      await m.ack();
      received.add(m.json<number>());
    });
    const acked: number[] = [];
    const failures: unknown[] = [];
    let n = 0;
    const publishOne = async (): Promise<void> => {
      const i = n++;
      try {
        await bus.events.publish(`evt.${topic}.${i}`, bytes(i), { msgId: `${topic}-${i}` });
        acked.push(i);
      } catch (error) {
        failures.push(error);
      }
    };
    try {
      for (let i = 0; i < 5; i++) await publishOne();
      await eventually(() => expect(received.size).toBe(5));

      await server.stop();
      for (let i = 0; i < 5; i++) await publishOne();
      expect(failures).toHaveLength(5);
      for (const failure of failures) expect(failure).toBeInstanceOf(UnavailableError);
      await eventually(() => expect(bus.isHealthy()).toBe(false), 5_000);

      await server.start();
      await eventually(async () => {
        const before = acked.length;
        await publishOne();
        expect(acked.length).toBe(before + 1);
      }, 15_000, 200);
      for (let i = 0; i < 5; i++) await publishOne();
      await eventually(() => expect(bus.isHealthy()).toBe(true), 10_000);
      // Every publish that was acknowledged reaches the consumer; the failed ones were never stored.
      await eventually(() => expect([...received].sort((a, b) => a - b)).toEqual(acked), 15_000);
    } finally {
      await bus.drain();
    }
  });
});

interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<void>;
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

function startChild(args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    lines,
    exited,
    line: (pattern, timeoutMs = 30_000) =>
      eventually(() => {
        const hit = lines.find((l) => pattern.test(l));
        if (!hit) throw new Error(`no line matching ${pattern} in:\n${lines.join('\n')}`);
        return hit;
      }, timeoutMs),
  };
}
