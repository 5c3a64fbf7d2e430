import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Bus, DeliveredMessage } from '@cadre/bus';
import { connectNatsBus } from '@cadre/bus';
import type { EventEnvelope } from '@cadre/proto';
import { createTestDatabase, eventually, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import {
  createEventStore, createProjection, runProjectionFromBus, startOutboxRelay, type EventStore, type OutboxRelay, type RelayCounter,
} from './index';
import { Client } from 'pg';
import { outboxChannel, relayLockName } from './connection';
import { BATCH_SETTINGS, keepsPrepared, outboxBatchSql, relayStatements } from './relay/batch';
import { applyToCartTotals, createCartTotalsTable, type CartTotalsDb } from './test-support/cart-totals';
import { publishingEach } from './test-support/bus';
import { shopRegistry } from './test-support/events';

describe('outbox relay on the NATS bus', () => {
  let database: TestDatabase;
  let nats: TestNats;
  let store: EventStore;
  let bus: Bus;
  let relay: OutboxRelay | undefined;

  beforeAll(async () => {
    [database, nats] = await Promise.all([createTestDatabase('eventstore_relay'), startNats()]);
    store = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry() });
    bus = await connectNatsBus({ servers: nats.url });
  });

  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
  });

  afterAll(async () => {
    await bus?.drain();
    await store?.close();
    await nats?.dispose();
    await database?.dispose();
  });

  const outboxSize = async (): Promise<number> =>
    Number((await store.pool.query<{ n: string }>('select count(*) as n from shop.outbox')).rows[0]?.n);

  it('publishes appended events with msgId = event id on the scoped subject, then empties the outbox', async () => {
    const counters = new Map<RelayCounter, number>();
    relay = startOutboxRelay({ store, bus, onCounter: (name, n) => counters.set(name, (counters.get(name) ?? 0) + n) });
    const { events } = await store.append('cart-1', 'no_stream', [
      { type: 'item_added', data: { cart_id: 'c1', sku: 'a', quantity: 1 } },
      { type: 'cart_checked_out', data: { cart_id: 'c1', total: 9 } },
    ], { subjectScope: 'c1' });

    const received: DeliveredMessage[] = [];
    const sub = await bus.events.consume({ durable: 'relay-basic', filterSubject: 'evt.shop.*.c1' }, async (message) => {
      received.push(message);
      await message.ack();
    });
    try {
      await eventually(() => expect(received).toHaveLength(2));
      expect(received.map((m) => m.msgId)).toEqual(events.map((e) => e.id));
      expect(received.map((m) => m.subject)).toEqual(['evt.shop.item_added.c1', 'evt.shop.cart_checked_out.c1']);
      expect(received.map((m) => m.json<EventEnvelope>())).toEqual(events);
      expect(received[0]?.headers['Cadre-Store']).toBe('shop');
      await eventually(async () => expect(await outboxSize()).toBe(0));
      expect(counters.get('published')).toBe(2);
    } finally {
      await sub.stop();
    }
  });

  it('is woken by NOTIFY (an append of another process) rather than waiting for its poll', async () => {
    relay = startOutboxRelay({ store, bus, pollIntervalMs: 60_000 });
    // Let the first (empty) pass finish so the relay sleeps on its long poll.
    await new Promise((r) => setTimeout(r, 300));
    // Another store on the same schema: its appends reach this relay only through Postgres.
    const elsewhere = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry(), migrate: false });
    const { events } = await elsewhere.append('cart-2', 'no_stream', [{ type: 'item_added', data: { cart_id: 'c2', sku: 'a', quantity: 1 } }], { subjectScope: 'c2' });
    const ids: string[] = [];
    const sub = await bus.events.consume({ durable: 'relay-notify', filterSubject: 'evt.shop.*.c2' }, async (message) => {
      ids.push(message.msgId);
      await message.ack();
    });
    try {
      await eventually(() => expect(ids).toEqual([events[0]?.id]), 3_000);
    } finally {
      await sub.stop();
      await elsewhere.close();
    }
  });

  it('is woken by the appends of its own process with no NOTIFY while it holds the lock, and sends one when it loses it', async () => {
    relay = startOutboxRelay({ store, bus, pollIntervalMs: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    const listener = new Client({ connectionString: database.url });
    await listener.connect();
    let notifications = 0;
    listener.on('notification', () => notifications++);
    await listener.query(`LISTEN "${outboxChannel('shop')}"`);
    const ids: string[] = [];
    const sub = await bus.events.consume({ durable: 'relay-local', filterSubject: 'evt.shop.*.c6' }, async (message) => {
      ids.push(message.msgId);
      await message.ack();
    });
    const other = new Client({ connectionString: database.url });
    await other.connect();
    try {
      const appended: string[] = [];
      for (let i = 0; i < 5; i++) {
        const { events } = await store.append(`cart-6-${i}`, 'no_stream', [{ type: 'tick', data: { n: i + 1 } }], { subjectScope: 'c6' });
        appended.push(events[0]!.id);
        await eventually(() => expect(ids).toContain(events[0]!.id), 3_000);
      }
      expect(ids).toEqual(appended);
      // A round trip on the listener's connection delivers any notification sent before it.
      await listener.query('SELECT 1');
      expect(notifications).toBe(0);

      // Another replica takes the relay lock: the next append still sends none (this relay held the lock
      // last), but the relay's next batch finds the lock taken and passes the wake on with a NOTIFY.
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [relayLockName('shop')]);
      await store.append('cart-6-x', 'no_stream', [{ type: 'tick', data: { n: 9 } }], { subjectScope: 'c6' });
      await eventually(async () => {
        await listener.query('SELECT 1');
        expect(notifications).toBe(1);
      }, 3_000);
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      await other.end();
      await listener.end();
      await sub.stop();
    }
  });

  it('hands over with a NOTIFY when it stops while holding the lock, so another replica hears of appends that sent none', async () => {
    const stopping = startOutboxRelay({ store, bus, pollIntervalMs: 60_000 });
    await new Promise((r) => setTimeout(r, 300)); // its first batch took the lock
    const listener = new Client({ connectionString: database.url });
    await listener.connect();
    let notifications = 0;
    listener.on('notification', () => notifications++);
    await listener.query(`LISTEN "${outboxChannel('shop')}"`);
    try {
      await stopping.stop();
      await eventually(async () => {
        await listener.query('SELECT 1');
        expect(notifications).toBe(1);
      }, 3_000);
    } finally {
      await listener.end();
    }
  });

  it('is woken promptly when concurrent appends leave the NOTIFY to one sent after their commits', async () => {
    relay = startOutboxRelay({ store, bus, pollIntervalMs: 60_000 });
    await new Promise((r) => setTimeout(r, 300));
    // Appends of another process: this relay hears them only through Postgres.
    const elsewhere = await createEventStore({ databaseUrl: database.url, schema: 'shop', registry: shopRegistry(), migrate: false });
    const ids: string[] = [];
    const sub = await bus.events.consume({ durable: 'relay-notify-many', filterSubject: 'evt.shop.*.c5' }, async (message) => {
      ids.push(message.msgId);
      await message.ack();
    });
    try {
      // Three rounds of 16 appends at once; each round must be published well before the poll.
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(Array.from({ length: 16 }, (_, i) =>
          elsewhere.append(`cart-5-${round}-${i}`, 'no_stream', [{ type: 'tick', data: { n: 1 } }], { subjectScope: 'c5' })));
        const appended = results.map((r) => r.events[0]!.id);
        await eventually(() => expect(ids).toEqual(expect.arrayContaining(appended)), 3_000);
      }
    } finally {
      await sub.stop();
      await elsewhere.close();
    }
  });

  it('publishes what was appended while no relay ran, each stream in order, when one starts', async () => {
    const appended = new Map<string, string[]>();
    for (let i = 1; i <= 30; i++) {
      const stream = `cart-3-${i % 3}`;
      const { events } = await store.append(stream, 'any', [{ type: 'tick', data: { n: i } }], { subjectScope: 'c3' });
      appended.set(stream, [...(appended.get(stream) ?? []), events[0]!.id]);
    }
    const received = new Map<string, string[]>();
    const sub = await bus.events.consume({ durable: 'relay-backlog', filterSubject: 'evt.shop.*.c3' }, async (message) => {
      const { stream } = message.json<EventEnvelope>();
      received.set(stream, [...(received.get(stream) ?? []), message.msgId]);
      await message.ack();
    });
    try {
      relay = startOutboxRelay({ store, bus, batchSize: 7 });
      await eventually(() => expect(received).toEqual(appended));
    } finally {
      await sub.stop();
    }
  });

  it('lets the bus drop a republish after a crash between publish and delete', async () => {
    const { events } = await store.append('cart-4', 'no_stream', [
      { type: 'item_added', data: { cart_id: 'c4', sku: 'a', quantity: 1 } },
      { type: 'item_added', data: { cart_id: 'c4', sku: 'b', quantity: 1 } },
    ], { subjectScope: 'c4' });
    // A relay that died after publishing, before its delete committed, left the rows behind.
    const { rows } = await store.pool.query<{ subject: string; event_id: string; payload: string }>(
      `select subject, event_id, payload from (${outboxBatchSql('shop')}) b where subject like '%.c4' order by position::bigint`, [1_000]);
    expect(rows).toHaveLength(2);
    for (const row of rows) await bus.events.publish(row.subject, Buffer.from(row.payload), { msgId: row.event_id });

    const counters = new Map<RelayCounter, number>();
    relay = startOutboxRelay({ store, bus, onCounter: (name, n) => counters.set(name, (counters.get(name) ?? 0) + n) });
    await eventually(async () => expect(await outboxSize()).toBe(0));
    expect(counters.get('duplicates')).toBe(2);
    const seqs: number[] = [];
    const ids: string[] = [];
    const sub = await bus.events.consume({ durable: 'relay-dedup', filterSubject: 'evt.shop.*.c4' }, async (message) => {
      seqs.push(message.seq);
      ids.push(message.msgId);
      await message.ack();
    });
    try {
      await eventually(() => expect(ids).toEqual(events.map((e) => e.id)));
      await new Promise((r) => setTimeout(r, 200));
      expect(ids).toHaveLength(2);
    } finally {
      await sub.stop();
    }
  });

  it("carries the writer's trace context in the event meta and the message headers", async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const active = trace.setSpanContext(context.active(), { traceId, spanId: 'b7ad6b7169203331', traceFlags: 1 });
    const { events } = await context.with(active, () =>
      store.append('cart-t', 'no_stream', [{ type: 'item_added', data: { cart_id: 't', sku: 'a', quantity: 1 } }], { subjectScope: 't' }));
    expect(events[0]?.meta.traceparent).toBe(`00-${traceId}-b7ad6b7169203331-01`);
    relay = startOutboxRelay({ store, bus });
    const headers: Array<Record<string, string>> = [];
    const sub = await bus.events.consume({ durable: 'relay-trace', filterSubject: 'evt.shop.*.t' }, async (message) => {
      headers.push({ ...message.headers });
      await message.ack();
    });
    try {
      await eventually(() => expect(headers).toHaveLength(1));
      expect(headers[0]?.traceparent).toBe(`00-${traceId}-b7ad6b7169203331-01`);
    } finally {
      await sub.stop();
      propagation.disable();
      context.disable();
    }
  });

  it('keeps an append in the outbox until all its events are published, republishing the part that went out', async () => {
    const { events } = await store.append('cart-f', 'no_stream', [1, 2, 3].map((n) => ({ type: 'tick', data: { n } })), { subjectScope: 'f' });
    // The bus refuses the append's second event once: the first went out, the row must stay.
    let calls = 0;
    const flaky: Pick<Bus, 'events'> = {
      events: publishingEach(bus.events, (...args) => (++calls === 2 ? Promise.reject(new Error('refused')) : bus.events.publish(...args))),
    };
    const counters = new Map<RelayCounter, number>();
    relay = startOutboxRelay({ store, bus: flaky, retryMinMs: 10, onCounter: (name, n) => counters.set(name, (counters.get(name) ?? 0) + n) });
    const ids: string[] = [];
    const sub = await bus.events.consume({ durable: 'relay-partial', filterSubject: 'evt.shop.*.f' }, async (message) => {
      ids.push(message.msgId);
      await message.ack();
    });
    try {
      await eventually(async () => expect(await outboxSize()).toBe(0));
      await eventually(() => expect(ids).toEqual(events.map((e) => e.id)));
      expect(counters.get('publish_failures')).toBe(1);
      expect(counters.get('duplicates')).toBe(1);
    } finally {
      await sub.stop();
    }
  });

  it('prepares its statements once a connection, again on one that lost them, and sends them unprepared where connections do not keep them', async () => {
    // One connection, so that every batch and append meets the same session.
    const single = await createEventStore({ databaseUrl: database.url, maxConnections: 1, schema: 'shop', registry: shopRegistry(), migrate: false });
    const preparedByRelay = async (): Promise<string[]> => (await single.pool.query<{ name: string }>(
      `select name from pg_prepared_statements where name like 'cadre_relay_%' order by name`)).rows.map((row) => row.name);
    relay = startOutboxRelay({ store: single, bus, retryMinMs: 10 });
    const seen = new Set<string>();
    const sub = await bus.events.consume({ durable: 'relay-prepared', filterSubject: 'evt.shop.*.p' }, async (message) => {
      seen.add(message.msgId);
      await message.ack();
    });
    const appendOne = async (n: number): Promise<string> =>
      (await single.append(`cart-p${n}`, 'no_stream', [{ type: 'tick', data: { n: n + 1 } }], { subjectScope: 'p' })).events[0]!.id;
    try {
      for (let n = 0; n < 5; n++) {
        const id = await appendOne(n);
        await eventually(() => expect(seen.has(id)).toBe(true));
      }
      // Five batches or more on the one connection; each statement prepared there once (a second
      // PREPARE of a name fails), and the relay's read among them.
      const prepared = await preparedByRelay();
      expect(prepared.map((name) => name.replace(/_[0-9a-f]{32}$/, ''))).toEqual(['cadre_relay_done', 'cadre_relay_lock', 'cadre_relay_read']);
      // Each batch ran the general plan of each (the delete's, not one for the positions given).
      const { rows: plans } = await single.pool.query<{ name: string; generic_plans: string; custom_plans: string }>(
        `select name, generic_plans, custom_plans from pg_prepared_statements where name like 'cadre_relay_%' order by name`);
      for (const plan of plans) {
        expect(Number(plan.custom_plans)).toBe(0);
        expect(Number(plan.generic_plans)).toBeGreaterThanOrEqual(5);
      }
      // Lost behind the relay's back (as with a session reset): its next batch fails, the connection
      // is dropped, and the next one prepares them again; nothing appended is lost.
      await single.pool.query(prepared.map((name) => `DEALLOCATE ${name}`).join(';\n'));
      const id = await appendOne(99);
      await eventually(() => expect(seen.has(id)).toBe(true));
      expect(await preparedByRelay()).toEqual(prepared);
      // Lost again: as behind a pooler in transaction mode, where a batch meets whichever server
      // connection is free. From then on the relay plans its statements at each batch.
      await single.pool.query(prepared.map((name) => `DEALLOCATE ${name}`).join(';\n'));
      const later = [await appendOne(100), await appendOne(101)];
      await eventually(() => expect(later.every((one) => seen.has(one))).toBe(true));
      // Its plain delete works too: the rows go once published.
      await eventually(async () => expect(await outboxSize()).toBe(0));
      expect(await preparedByRelay()).toEqual([]);
      expect(keepsPrepared(single.pool)).toBe(false);
    } finally {
      await sub.stop();
      await relay.stop();
      relay = undefined;
      await single.close();
    }
  });

  it('reads by index whatever the outbox held when its plan was made: nothing, or a few rows analysed', async () => {
    for (const [schema, few] of [['relay_plan', 0], ['relay_plan_few', 5]] as const) {
      const planned = await createEventStore({ databaseUrl: database.url, maxConnections: 2, schema, registry: shopRegistry() });
      const statements = relayStatements(schema, 256);
      for (let n = 1; n <= few; n++) await planned.append(`few-${n}`, 'no_stream', [{ type: 'tick', data: { n } }]);
      const client = await planned.pool.connect();
      // As a batch runs it: in a transaction with the batch's settings, where its plan is made.
      const plan = async (): Promise<string> => {
        await client.query(['BEGIN', ...BATCH_SETTINGS].join(';\n'));
        try {
          return (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ${statements.read}`)).rows.map((row) => row['QUERY PLAN']).join('\n');
        } finally {
          await client.query('COMMIT');
        }
      };
      try {
        if (few > 0) {
          await client.query(`VACUUM ANALYZE "${schema}".outbox`);
          await client.query(`VACUUM ANALYZE "${schema}".events`);
        }
        await client.query(statements.prepare);
        const plans = [await plan()];
        // 60,000 appends waiting, statistics not yet gathered (a bulk load, a relay that was down).
        await client.query(`INSERT INTO "${schema}".events (id, stream_id, version, type, data, meta, occurred_at)
          SELECT gen_random_uuid(), 's' || (i % 600), i / 600 + 1, 'tick', '{"n": 1}', '{}', now() FROM generate_series(0, 59999) i`);
        await client.query(`INSERT INTO "${schema}".outbox (position, stream_id, first_version, subjects)
          SELECT position, stream_id, version, ARRAY['evt.shop.tick.s'] FROM "${schema}".events WHERE stream_id LIKE 's%'`);
        plans.push(await plan());
        await client.query(`ANALYZE "${schema}".outbox`);
        await client.query(`ANALYZE "${schema}".events`);
        plans.push(await plan());
        for (const text of plans) {
          expect(text).toContain('Index Scan using outbox_pkey');
          expect(text).toContain('Index Scan using events_stream_version_key');
          expect(text).not.toMatch(/Seq Scan|Hash Join|Merge Join/);
        }
        expect((await client.query(`EXECUTE ${statements.read}`)).rows).toHaveLength(256);
      } finally {
        client.release();
        await planned.close();
      }
    }
  });

  it('never lets a later event of a stream be seen before one whose publish was refused mid-window', async () => {
    // Four streams, five appends each (the third of stream w1 holds two events), interleaved.
    const appended = new Map<string, string[]>();
    for (let round = 0; round < 5; round++) {
      for (let s = 0; s < 4; s++) {
        const stream = `cart-w${s}`;
        const data = round === 2 && s === 1 ? [{ type: 'tick', data: { n: round + 1 } }, { type: 'tick', data: { n: round + 1 } }] : [{ type: 'tick', data: { n: round + 1 } }];
        const { events } = await store.append(stream, 'any', data, { subjectScope: 'w' });
        appended.set(stream, [...(appended.get(stream) ?? []), ...events.map((e) => e.id)]);
      }
    }
    const refused = appended.get('cart-w1')![2]!; // w1's third event, the first of its two-event append
    // The bus takes a few milliseconds per publish (so the window fills) and refuses `refused` once.
    const inFlight = new Map<string, number>();
    let mostInFlight = 0;
    let sameStreamOverlaps = 0;
    let othersInFlightAtRefusal = 0;
    let refusals = 0;
    const slow: Pick<Bus, 'events'> = {
      events: publishingEach(bus.events, async (subject, data, options) => {
        const stream = (JSON.parse(Buffer.from(data).toString()) as EventEnvelope).stream;
        if ((inFlight.get(stream) ?? 0) > 0) sameStreamOverlaps++;
        inFlight.set(stream, (inFlight.get(stream) ?? 0) + 1);
        mostInFlight = Math.max(mostInFlight, [...inFlight.values()].reduce((a, b) => a + b, 0));
        try {
          await new Promise((r) => setTimeout(r, 5));
          if (options.msgId === refused && refusals === 0) {
            refusals++;
            othersInFlightAtRefusal = [...inFlight.values()].reduce((a, b) => a + b, 0) - 1;
            throw new Error('refused by the bus');
          }
          return await bus.events.publish(subject, data, options);
        } finally {
          inFlight.set(stream, (inFlight.get(stream) ?? 0) - 1);
        }
      }),
    };
    const received = new Map<string, string[]>();
    const sub = await bus.events.consume({ durable: 'relay-window', filterSubject: 'evt.shop.*.w' }, async (message) => {
      const { stream } = message.json<EventEnvelope>();
      received.set(stream, [...(received.get(stream) ?? []), message.msgId]);
      await message.ack();
    });
    const counters = new Map<RelayCounter, number>();
    try {
      relay = startOutboxRelay({ store, bus: slow, publishWindow: 4, retryMinMs: 200, onCounter: (name, n) => counters.set(name, (counters.get(name) ?? 0) + n) });
      await eventually(async () => expect(await outboxSize()).toBe(0));
      await eventually(() => expect(received).toEqual(appended));
      // The refusal happened with other streams' publishes in flight, none of the same stream ever overlapped,
      // and the refused event still came before the later ones of its stream (the map above holds every stream in order).
      expect(refusals).toBe(1);
      expect(mostInFlight).toBeGreaterThan(1);
      expect(othersInFlightAtRefusal).toBeGreaterThan(0);
      expect(sameStreamOverlaps).toBe(0);
      expect(counters.get('publish_failures')).toBe(1);
      // Each stream's messages on the bus in version order, without a gap.
      for (const [stream, ids] of received) {
        const versions = await Promise.all(ids.map(async (id) => (await store.pool.query<{ version: number }>('select version from shop.events where id = $1', [id])).rows[0]!.version));
        expect({ stream, versions }).toEqual({ stream, versions: versions.map((_, i) => i + 1) });
      }
    } finally {
      await sub.stop();
    }
  });

  describe('a projection fed by a durable consumer', () => {
    it('applies each event once, even when the consumer is replayed from the start', async () => {
      await createCartTotalsTable(store.pool);
      const projection = await createProjection<CartTotalsDb>({ pool: store.pool, schema: 'shop', name: 'nats_totals', events: ['item_added'], apply: (e, trx) => applyToCartTotals(trx, e) });
      relay = startOutboxRelay({ store, bus });
      const readModel = async () => (await store.pool.query("select units, events from shop.cart_totals where cart_id = 'p'")).rows;
      try {
        await store.append('cart-p', 'no_stream', [
          { type: 'item_added', data: { cart_id: 'p', sku: 'a', quantity: 4 } },
          { type: 'item_added', data: { cart_id: 'p', sku: 'b', quantity: 1 } },
        ], { subjectScope: 'p' });
        const options = { durable: 'nats-totals', filterSubject: 'evt.shop.item_added.p', registry: shopRegistry() };
        let subscription = await runProjectionFromBus(projection, bus, options);
        await eventually(async () => expect(await readModel()).toEqual([{ units: 5, events: 2 }]));
        const position = await projection.position();
        await subscription.stop();

        // A new durable starting from the first message redelivers everything.
        await bus.events.deleteConsumer('nats-totals');
        let redelivered = 0;
        subscription = await runProjectionFromBus(projection, { events: { ...bus.events, consume: (o, handler) => bus.events.consume(o, async (m) => { redelivered++; await handler(m); }) } }, options);
        await eventually(() => expect(redelivered).toBe(2));
        await subscription.stop();
        expect(await readModel()).toEqual([{ units: 5, events: 2 }]);
        expect(await projection.position()).toBe(position);
      } finally {
        await projection.close();
      }
    });
  });
});
