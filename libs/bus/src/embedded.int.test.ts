import { Client, Pool } from 'pg';
import { CadreError, NotFoundError, subjectMatches, UnavailableError, ValidationError } from '@cadre/proto';
import { createTestDatabase, eventually, type TestDatabase } from '@cadre/testing';
import { describeBusContract, type BusHarness } from './contract';
import { createEmbeddedBus } from './embedded';
import { filterCondition } from './embedded/events/filter';
import type { Bus, DeliveredMessage } from './types';

/** The shared bus contract, on the embedded transport: every bus of the harness on one fresh database. */
async function embeddedHarness(): Promise<BusHarness> {
  const database = await createTestDatabase('cadre_bus');
  const buses: Bus[] = [];
  return {
    label: 'embedded',
    async open() {
      const bus = await createEmbeddedBus({ databaseUrl: database.url, pollIntervalMs: 500 });
      buses.push(bus);
      return bus;
    },
    async dispose() {
      await Promise.allSettled(buses.map((bus) => bus.drain()));
      await database.dispose();
    },
  };
}

describeBusContract(embeddedHarness);

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => new Error('expected a rejection'), (error: unknown) => error);

describe('embedded bus specifics', () => {
  let database: TestDatabase;
  let bus: Bus;
  let other: Bus;

  beforeAll(async () => {
    database = await createTestDatabase('cadre_bus');
    // Two starts at once on a fresh database: the advisory lock serialises the migration.
    [bus, other] = await Promise.all([
      createEmbeddedBus({ databaseUrl: database.url, pollIntervalMs: 500 }),
      createEmbeddedBus({ databaseUrl: database.url, pollIntervalMs: 500 }),
    ]) as [Bus, Bus];
  });
  afterAll(async () => {
    await Promise.allSettled([bus.drain(), other.drain()]);
    await database.dispose();
  });

  it('buses sharing one pool (the all-in-one process) add one error listener to it, and each still hears a lost connection', async () => {
    const pool = new Pool({ connectionString: database.url, max: 16 });
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => { warnings.push(warning.name); };
    process.on('warning', onWarning);
    const shared = await Promise.all(Array.from({ length: 12 }, () => createEmbeddedBus({ pool, pollIntervalMs: 500 })));
    try {
      // A client of the pool per bus at once, so the per-client listener is there on each.
      const clients = await Promise.all(Array.from({ length: 12 }, () => pool.connect()));
      expect(pool.listenerCount('error')).toBe(1);
      // pg-pool's own listener and the buses' one (twelve buses added twelve before).
      for (const client of clients) expect(client.listenerCount('error')).toBeLessThanOrEqual(2);
      clients.forEach((client) => client.release());
      expect(shared.every((each) => each.isHealthy())).toBe(true);
      // An idle client's connection killed by the server: every bus on the pool hears it.
      const { rows } = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
      const killer = new Client({ connectionString: database.url });
      await killer.connect();
      await killer.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await killer.end();
      await eventually(() => expect(shared.map((each) => each.isHealthy())).toEqual(shared.map(() => false)));
      await new Promise((done) => setImmediate(done));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      await Promise.allSettled(shared.map((each) => each.drain()));
      await pool.end();
    }
  });

  it('evaluates subject filters in Postgres exactly as subjectMatches does', async () => {
    const subjects = ['evt.run.r1', 'evt.run.r1.step', 'evt.run', 'evt.swarm.s_1', 'evtXrun.r1', 'evt.ru_.r1', 'evt.run.$x+y', 'evt.a.b.c'];
    const filters = ['evt.run.*', 'evt.run.>', 'evt.*.r1', 'evt.>', '*.run.*', '>', 'evt.ru_.*', 'evt.run.$x+y', 'evt.*.*.step', 'evt.*.b.>'];
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      for (const filter of filters) {
        const condition = filterCondition(filter, 2);
        for (const subject of subjects) {
          const { rows } = await client.query<{ hit: boolean }>(`SELECT (${condition.sql}) AS hit FROM (SELECT $1::text AS subject) s`, [subject, ...condition.values]);
          expect([filter, subject, rows[0]?.hit]).toEqual([filter, subject, subjectMatches(filter, subject)]);
        }
      }
    } finally {
      await client.end();
    }
  });

  it('replays every sequence once, in order, while publishers race', async () => {
    const topic = `evt.race${Date.now()}`;
    const from = (await bus.events.lastSeq()) + 1;
    const seen: number[] = [];
    const replay = await other.events.replay({ fromSeq: from, filterSubject: `${topic}.>` }, (m) => {
      seen.push(m.seq);
    });
    const publishers = Array.from({ length: 8 }, async (_, p) => {
      const seqs: number[] = [];
      for (let i = 0; i < 40; i++) {
        seqs.push((await (p % 2 ? bus : other).events.publish(`${topic}.p${p}`, bytes({ p, i }), { msgId: `${topic}-${p}-${i}` })).seq);
      }
      return seqs;
    });
    const published = (await Promise.all(publishers)).flat().sort((a, b) => a - b);
    try {
      await eventually(() => expect(seen).toHaveLength(published.length));
      expect(seen).toEqual(published);
      // Publishes are numbered under one lock: no holes in the sequence either.
      expect(published).toEqual(Array.from({ length: published.length }, (_, i) => (published[0] ?? 0) + i));
    } finally {
      await replay.stop();
    }
  });

  /** A consumer that leaves what it is given unsettled, and the one message published to it. */
  const holdOne = async (name: string) => {
    const topic = `evt.${name}${Date.now()}`;
    const durable = `${name}${Date.now()}`;
    const held: DeliveredMessage[] = [];
    const sub = await bus.events.consume({ durable, filterSubject: `${topic}.>` }, async (m) => {
      held.push(m);
    });
    await bus.events.publish(`${topic}.x`, bytes(1), { msgId: `${topic}-1` });
    await eventually(() => expect(held).toHaveLength(1));
    return { topic, durable, sub, message: held[0]! };
  };

  it('reports a typed NotFoundError when acking for a consumer that was deleted, and keeps running', async () => {
    const { durable, sub, message } = await holdOne('gone');
    await other.events.deleteConsumer(durable);
    await sub.closed;
    expect(await rejection(message.ack())).toBeInstanceOf(NotFoundError);
    expect(await rejection(message.nak(10))).toBeInstanceOf(NotFoundError);
    expect(await rejection(message.working())).toBeInstanceOf(NotFoundError);
    expect(await rejection(message.nak(-5))).toBeInstanceOf(ValidationError);
    expect(bus.isHealthy()).toBe(true);
  });

  it('deletes a consumer with its pending messages: one made again under its name starts with none', async () => {
    const { topic, durable, sub } = await holdOne('pending');
    const pool = new Pool({ connectionString: database.url, max: 1 });
    const pendingOf = async (): Promise<number> =>
      (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM cadre_bus.consumer_pending WHERE consumer = $1', [durable])).rows[0]!.n;
    expect(await pendingOf()).toBe(1);
    await other.events.deleteConsumer(durable);
    await sub.closed;
    expect(await pendingOf()).toBe(0);
    // Made again: the message comes as a first delivery of a new consumer, from the stream.
    const again: DeliveredMessage[] = [];
    const sub2 = await bus.events.consume({ durable, filterSubject: `${topic}.>` }, async (m) => {
      again.push(m);
      await m.ack();
    });
    try {
      await eventually(() => expect(again.map((m) => [m.subject, m.deliveryCount])).toEqual([[`${topic}.x`, 1]]));
      await eventually(async () => expect(await pendingOf()).toBe(0));
    } finally {
      await sub2.stop();
      await pool.end();
    }
  });

  it('copies request payloads through JSON and rejects what JSON cannot carry', async () => {
    const service = await bus.serve({
      name: 'mutator',
      version: '1.0.0',
      endpoints: {
        'test.mutate': (payload) => {
          (payload as { n: number }).n = 99;
          return payload;
        },
      },
    });
    try {
      const sent = { n: 1, when: new Date(0) };
      const reply = await other.request<{ n: number; when: string }>('test.mutate', sent);
      expect(sent.n).toBe(1);
      expect(reply).toEqual({ n: 99, when: '1970-01-01T00:00:00.000Z' });
      expect(await rejection(other.request('test.mutate', { big: 1n }))).toBeInstanceOf(ValidationError);
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      expect(await rejection(other.request('test.mutate', circular))).toBeInstanceOf(ValidationError);
      expect(await rejection(other.events.publish('evt.x.y', 'text' as unknown as Uint8Array, { msgId: 'm' }))).toBeInstanceOf(ValidationError);
    } finally {
      await service.stop();
    }
  });

  it('refuses bad options and an unreachable database with typed errors', async () => {
    expect(await rejection(createEmbeddedBus({ databaseUrl: database.url, schema: 'Bad-Schema' }))).toBeInstanceOf(ValidationError);
    expect(await rejection(createEmbeddedBus({}))).toBeInstanceOf(ValidationError);
    const unreachable = new URL(database.url);
    unreachable.port = '1';
    expect(await rejection(createEmbeddedBus({ databaseUrl: unreachable.toString() }))).toBeInstanceOf(UnavailableError);
  });

  it('closes for good after drain: calls fail with UnavailableError', async () => {
    const short = await createEmbeddedBus({ databaseUrl: database.url });
    await short.drain();
    expect(short.isHealthy()).toBe(false);
    const error = await rejection(short.events.publish('evt.after.drain', bytes(1), { msgId: `late${Date.now()}` }));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(await rejection(short.events.consume({ durable: 'late' }, async () => undefined))).toBeInstanceOf(CadreError);
    expect(() => short.ephemeral.publish('late.x', bytes(1))).toThrow(UnavailableError);
  });
});
