import { createEmbeddedBus, type Bus, type StreamMessage } from '@cadre/bus';
import { ConcurrencyError, ConflictError, type EventEnvelope } from '@cadre/proto';
import { countStatements, createTestDatabase, eventually, type TestDatabase } from '@cadre/testing';
import type { Pool } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { createEventStore, startOutboxRelay, type AppendResult, type EventStore } from './index';
import { shopRegistry } from './test-support/events';

/** The store's append statements by form, as they go to Postgres. */
const countAppends = (pool: Pool): Map<string, number> =>
  countStatements(pool, { one: /^cadre_append_one_/, many: /^cadre_append_many_/, batch: /^cadre_append_batch_/ });

const total = (counts: Map<string, number>): number => [...counts.values()].reduce((a, b) => a + b, 0);

/** The stored events of `stream` with their positions. */
async function stored(store: EventStore, stream: string): Promise<{ id: string; version: number; position: number; n: number }[]> {
  const { rows } = await store.pool.query<{ id: string; version: number; position: string; n: number }>(
    "select id, version, position::text as position, (data->>'n')::int as n from shop.events where stream_id = $1 order by version", [stream],
  );
  return rows.map((row) => ({ ...row, position: Number(row.position) }));
}

describe('appends without writes alongside, committed in groups', () => {
  let database: TestDatabase;
  let store: EventStore;
  let counts: Map<string, number>;

  beforeAll(async () => {
    database = await createTestDatabase('eventstore_any_batch');
    store = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry(), maxConnections: 20 });
    counts = countAppends(store.pool);
  });

  beforeEach(() => counts.clear());

  afterAll(async () => {
    await store?.close();
    await database?.dispose();
  });

  it('goes alone when nothing else is appending', async () => {
    const first = await store.append('alone', 'any', [{ type: 'tick', data: { n: 1 } }]);
    const second = await store.append('alone', 'any', [{ type: 'tick', data: { n: 2 } }, { type: 'tick', data: { n: 3 } }]);
    expect(Object.fromEntries(counts)).toEqual({ one: 1, many: 1 });
    expect([first.nextVersion, second.nextVersion]).toEqual([1, 3]);
  });

  it('writes 200 appends made at once in fewer statements, each stream gapless and each caller told what was stored', async () => {
    // 20 streams, 10 appends each of 1 or 2 events, all asked in the same tick.
    const asked = Array.from({ length: 200 }, (_, i) => ({ stream: `many-${i % 20}`, events: Array.from({ length: 1 + (i % 3 === 0 ? 1 : 0) }, (_, k) => ({ n: i * 10 + k + 1 })) }));
    const results: AppendResult[] = await Promise.all(asked.map((a) => store.append(a.stream, 'any', a.events.map((data) => ({ type: 'tick', data })))));

    expect(counts.get('batch') ?? 0).toBeGreaterThan(0);
    expect(total(counts)).toBeLessThan(50);
    for (let s = 0; s < 20; s++) {
      const events = await stored(store, `many-${s}`);
      const count = asked.filter((a) => a.stream === `many-${s}`).reduce((sum, a) => sum + a.events.length, 0);
      expect(events.map((e) => e.version)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      // Positions follow versions within a stream.
      expect(events.map((e) => e.position)).toEqual([...events.map((e) => e.position)].sort((a, b) => a - b));
    }
    for (const [i, result] of results.entries()) {
      const events = await stored(store, asked[i]!.stream);
      const mine = result.events.map((envelope) => events.find((e) => e.version === envelope.version));
      // What the caller was told is what the store holds at those versions, its events in its order.
      expect(mine.map((e) => e?.id)).toEqual(result.events.map((e) => e.id));
      expect(mine.map((e) => e?.n)).toEqual(asked[i]!.events.map((e) => e.n));
      expect(result.events.map((e) => e.version)).toEqual(result.events.map((_, k) => result.events[0]!.version + k));
      expect(result.nextVersion).toBe(result.events.at(-1)!.version);
      expect(result.lastPosition).toBe(mine.at(-1)!.position);
      expect(result.events.every((e) => e.stream === asked[i]!.stream)).toBe(true);
    }
  });

  it('leaves one outbox row per stream of a statement, covering each event once with its subject', async () => {
    await store.pool.query('delete from shop.outbox');
    await Promise.all(Array.from({ length: 60 }, (_, i) => store.append(`boxed-${i % 6}`, 'any', [{ type: 'tick', data: { n: i + 1 } }], { subjectScope: `scope-${i % 6}` })));
    expect(counts.get('batch') ?? 0).toBeGreaterThan(0);
    const { rows } = await store.pool.query<{ stream_id: string; first_version: number; subjects: string[] }>(
      "select stream_id, first_version, subjects from shop.outbox where stream_id like 'boxed-%' order by position",
    );
    expect(rows.length).toBeLessThan(60);
    for (let s = 0; s < 6; s++) {
      const covered = rows.filter((row) => row.stream_id === `boxed-${s}`)
        .flatMap((row) => row.subjects.map((subject, k) => ({ version: row.first_version + k, subject })));
      expect(covered.map((c) => c.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect(new Set(covered.map((c) => c.subject))).toEqual(new Set([`evt.shop.tick.scope-${s}`]));
    }
  });

  it('groups appends at an expected version too; one whose stream is elsewhere fails alone, naming the version', async () => {
    await store.append('moved-0', 'no_stream', [{ type: 'tick', data: { n: 1 } }, { type: 'tick', data: { n: 2 } }]);
    await store.append('moved-1', 'no_stream', [{ type: 'tick', data: { n: 1 } }]);
    counts.clear();
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 60 }, (_, i) => store.append(`fresh-${i}`, 'no_stream', [{ type: 'tick', data: { n: 1 } }])),
      store.append('moved-0', 1, [{ type: 'tick', data: { n: 3 } }]),
      store.append('moved-1', 1, [{ type: 'tick', data: { n: 2 } }]),
      ...Array.from({ length: 20 }, (_, i) => store.append(`loose-${i % 4}`, 'any', [{ type: 'tick', data: { n: i + 1 } }])),
    ]);
    expect(counts.get('batch') ?? 0).toBeGreaterThan(0);
    expect(total(counts)).toBeLessThan(60);
    const rejected = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ i, reason: o.reason as ConcurrencyError }] : []));
    expect(rejected.map((r) => r.i)).toEqual([60]);
    expect(rejected[0]!.reason).toBeInstanceOf(ConcurrencyError);
    expect(rejected[0]!.reason.details).toMatchObject({ streamId: 'moved-0', expectedVersion: 1, currentVersion: 2 });
    expect((outcomes[61] as PromiseFulfilledResult<AppendResult>).value.nextVersion).toBe(2);
    for (let i = 0; i < 60; i++) {
      const result = (outcomes[i] as PromiseFulfilledResult<AppendResult>).value;
      const events = await stored(store, `fresh-${i}`);
      expect(events.map((e) => [e.id, e.version, e.position])).toEqual([[result.events[0]!.id, 1, result.lastPosition]]);
    }
    expect((await stored(store, 'moved-0')).map((e) => e.n)).toEqual([1, 2]);
    for (let s = 0; s < 4; s++) expect((await stored(store, `loose-${s}`)).map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
  });

  it('lets one of many appends at the same expected version of a stream win, the others fail', async () => {
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 20 }, (_, i) => store.append('contested', 'no_stream', [{ type: 'tick', data: { n: i + 1 } }])),
      ...Array.from({ length: 20 }, (_, i) => store.append(`beside-${i}`, 'no_stream', [{ type: 'tick', data: { n: 1 } }])),
    ]);
    const contested = outcomes.slice(0, 20);
    expect(contested.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(contested.filter((o) => o.status === 'rejected').every((o) => (o as PromiseRejectedResult).reason instanceof ConcurrencyError)).toBe(true);
    expect(outcomes.slice(20).every((o) => o.status === 'fulfilled')).toBe(true);
    const winner = contested.findIndex((o) => o.status === 'fulfilled');
    expect((await stored(store, 'contested')).map((e) => [e.version, e.n])).toEqual([[1, winner + 1]]);
  });

  it('sends alone only the appends of a stream contested at an expected version; the rest of the group stays together', async () => {
    await store.append('warmup-contested', 'any', [{ type: 'tick', data: { n: 1 } }]);
    counts.clear();
    // The first two appends take the statements in flight; the rest wait and make one group, in
    // which one stream has two appends at the same expected version.
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 2 }, (_, i) => store.append(`lead-${i}`, 'any', [{ type: 'tick', data: { n: 1 } }])),
      store.append('twice', 'no_stream', [{ type: 'tick', data: { n: 1 } }]),
      store.append('twice', 'no_stream', [{ type: 'tick', data: { n: 2 } }]),
      ...Array.from({ length: 30 }, (_, i) => store.append(`crowd-${i % 10}`, 'any', [{ type: 'tick', data: { n: Math.floor(i / 10) + 1 } }])),
    ]);
    const twice = outcomes.slice(2, 4);
    expect(twice.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(twice.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason)).toEqual([expect.any(ConcurrencyError)]);
    expect(outcomes.slice(4).every((o) => o.status === 'fulfilled')).toBe(true);
    // The two leads, one statement for the crowd, and the two appends of 'twice' alone.
    expect(total(counts)).toBeLessThan(10);
    for (let s = 0; s < 10; s++) expect((await stored(store, `crowd-${s}`)).map((e) => e.n)).toEqual([1, 2, 3]);
  });

  it('fails only the append whose event id is already stored; the others of its statement land', async () => {
    const taken = uuidv7();
    await store.append('dup-first', 'any', [{ id: taken, type: 'tick', data: { n: 1 } }]);
    counts.clear();
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, (_, i) =>
      store.append(`dup-${i % 3}`, 'any', [{ ...(i === 10 ? { id: taken } : {}), type: 'tick', data: { n: i + 1 } }])));
    expect(counts.get('batch') ?? 0).toBeGreaterThan(0);
    const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ i, reason: o.reason as unknown }] : []));
    expect(failed.map((f) => f.i)).toEqual([10]);
    expect(failed[0]!.reason).toBeInstanceOf(ConflictError);
    const landed = (await Promise.all([0, 1, 2].map((s) => stored(store, `dup-${s}`)))).flat();
    expect(landed.map((e) => e.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1).filter((n) => n !== 11));
  });

  it('fails only the append whose data Postgres refuses; the others of its statement land', async () => {
    await store.append('nul-first', 'any', [{ type: 'tick', data: { n: 1 } }]);
    counts.clear();
    // Valid to the schema, refused by jsonb (a NUL character in a string).
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => (i === 12
      ? store.append('nul-2', 'any', [{ type: 'item_added', data: { cart_id: 'c', sku: 'a\u0000b', quantity: 1 } }])
      : store.append(`nul-${i % 3}`, 'any', [{ type: 'tick', data: { n: i + 1 } }]))));
    expect(counts.get('batch') ?? 0).toBeGreaterThan(0);
    expect(outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []))).toEqual([12]);
    const landed = (await Promise.all([0, 1, 2].map((s) => stored(store, `nul-${s}`)))).flat();
    expect(landed.filter((e) => e.n !== null).map((e) => e.n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1).filter((n) => n !== 13));
  });

  it('stays gapless when another store appends to the same streams at the same time', async () => {
    const other = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry(), migrate: false, maxConnections: 20 });
    try {
      const write = (s: EventStore, who: number) => Array.from({ length: 100 }, (_, i) =>
        s.append(`shared-${i % 4}`, 'any', [{ type: 'tick', data: { n: who * 1000 + i + 1 } }]));
      await Promise.all([...write(store, 1), ...write(other, 2)]);
      for (let s = 0; s < 4; s++) {
        const events = await stored(store, `shared-${s}`);
        expect(events.map((e) => e.version)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
        expect(new Set(events.map((e) => e.n)).size).toBe(50);
      }
    } finally {
      await other.close();
    }
  });
});

describe("a relay publishing appends of version 'any' committed in groups", () => {
  let database: TestDatabase;
  let store: EventStore;
  let bus: Bus;

  beforeAll(async () => {
    database = await createTestDatabase('eventstore_any_batch_relay');
    store = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry() });
    bus = await createEmbeddedBus({ databaseUrl: database.url });
  });

  afterAll(async () => {
    await bus?.drain();
    await store?.close();
    await database?.dispose();
  });

  it('publishes every event once, each stream in version order', async () => {
    const counts = countAppends(store.pool);
    const relay = startOutboxRelay({ store, bus });
    const received: EventEnvelope[] = [];
    const sub = await bus.events.replay({ fromSeq: (await bus.events.lastSeq()) + 1, filterSubject: 'evt.shop.tick.>' }, (message: StreamMessage) => {
      received.push(message.json<EventEnvelope>());
    });
    try {
      await Promise.all(Array.from({ length: 300 }, (_, i) => store.append(`relayed-${i % 10}`, 'any', [{ type: 'tick', data: { n: i + 1 } }])));
      expect(counts.get('batch') ?? 0).toBeGreaterThan(0);
      await eventually(() => expect(received).toHaveLength(300), 20_000, 100);
      expect(new Set(received.map((e) => e.id)).size).toBe(300);
      for (let s = 0; s < 10; s++) {
        expect(received.filter((e) => e.stream === `relayed-${s}`).map((e) => e.version)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      }
    } finally {
      await sub.stop();
      await relay.stop();
    }
  });
});
