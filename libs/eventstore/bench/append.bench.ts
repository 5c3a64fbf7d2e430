import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { v7 as uuidv7 } from 'uuid';
import { connectNatsBus, type Bus } from '@cadre/bus';
import { startEmbeddedPostgres, startNats } from '@cadre/testing';
import { fmt, percentile, ratio } from '../../../bench/stats';
import { createEventStore, startOutboxRelay, type EventStore, type NewEvent } from '../src';
import { shopRegistry } from '../src/test-support/events';

const WRITERS = [1, 16] as const;
const PER_APPEND = [1, 10] as const;
const APPENDS_PER_WRITER = { 1: 3_000, 16: 400 } as const;
const LATENCY_RATE = 1_000; // events/s
const LATENCY_SECONDS = 5;
const TICK_MS = 10;

type ThroughputRow = { writers: number; perAppend: number; store: number; raw: number };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `writers` loops of `appends` operations each; returns events per second. */
async function eventsPerSecond(writers: number, appends: number, perAppend: number, op: (writer: number, i: number) => Promise<unknown>): Promise<number> {
  const begin = performance.now();
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; i < appends; i++) await op(w, i);
  }));
  return (writers * appends * perAppend) / ((performance.now() - begin) / 1000);
}

async function throughput(store: EventStore): Promise<ThroughputRow[]> {
  await store.pool.query('CREATE TABLE bench_raw (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream text NOT NULL, data jsonb NOT NULL)');
  const rows: ThroughputRow[] = [];
  let run = 0;
  for (const writers of WRITERS) {
    for (const perAppend of PER_APPEND) {
      run++;
      const appends = APPENDS_PER_WRITER[writers];
      const batch = (n: number): NewEvent[] => Array.from({ length: perAppend }, (_, k) => ({ type: 'tick', data: { n: n * perAppend + k + 1 } }));
      // Each writer owns a stream and appends at the version it knows: no conflicts, as in a service.
      const appendOp = (w: number, i: number) => store.append(`bench-${run}-${w}`, i === 0 ? 'no_stream' : i * perAppend, batch(i));
      const values = Array.from({ length: perAppend }, (_, k) => `($1, $${k + 2}::jsonb)`).join(', ');
      const rawOp = (w: number, i: number) =>
        store.pool.query(`INSERT INTO bench_raw (stream, data) VALUES ${values}`, [`raw-${run}-${w}`, ...batch(i).map((e) => JSON.stringify(e.data))]);
      await eventsPerSecond(writers, Math.ceil(appends / 10), perAppend, (w, i) => store.append(`warm-${run}-${w}`, 'any', batch(i))); // warm-up
      const storeRate = await eventsPerSecond(writers, appends, perAppend, appendOp);
      const rawRate = await eventsPerSecond(writers, appends, perAppend, rawOp);
      rows.push({ writers, perAppend, store: storeRate, raw: rawRate });
      await store.pool.query('TRUNCATE shop.outbox, bench_raw');
    }
  }
  return rows;
}

/** Paces `send` at LATENCY_RATE for LATENCY_SECONDS; `send` reports its own latency samples. */
async function paced(send: (i: number) => Promise<void>): Promise<void> {
  const perTick = (LATENCY_RATE * TICK_MS) / 1000;
  const ticks = (LATENCY_SECONDS * 1000) / TICK_MS;
  const begin = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let t = 0; t < ticks; t++) {
    for (let k = 0; k < perTick; k++) inFlight.push(send(t * perTick + k));
    const wait = begin + (t + 1) * TICK_MS - performance.now();
    if (wait > 0) await sleep(wait);
  }
  await Promise.all(inFlight);
}

/** Latency from `start` (commit acknowledged, or publish called) to receipt by a durable consumer. */
async function latency(bus: Bus, durable: string, scope: string, send: (i: number, sent: (id: string) => void) => Promise<void>): Promise<{ p50: number; p99: number; n: number }> {
  const started = new Map<string, number>();
  const samples: number[] = [];
  const arrivals = new Map<string, number>();
  const sub = await bus.events.consume({ durable, filterSubject: `evt.shop.tick.${scope}`, deliverFrom: { kind: 'new' } }, async (message) => {
    arrivals.set(message.msgId, performance.now());
    await message.ack();
  });
  await paced((i) => send(i, (id) => started.set(id, performance.now())));
  const deadline = performance.now() + 30_000;
  while (arrivals.size < started.size && performance.now() < deadline) await sleep(50);
  await sub.stop();
  for (const [id, t0] of started) {
    const t1 = arrivals.get(id);
    // The relay can see a commit before the writer's client does; such a sample counts as 0.
    if (t1 !== undefined) samples.push(Math.max(0, t1 - t0));
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), n: samples.length };
}

/** Append throughput beside raw INSERTs, and outbox latency commit → consumer through NATS. */
export async function run(): Promise<string> {
  const [postgres, nats] = await Promise.all([startEmbeddedPostgres(), startNats({ controllable: true })]);
  let store: EventStore | undefined;
  let bus: Bus | undefined;
  try {
    store = await createEventStore({ databaseUrl: postgres.url, schema: 'shop', registry: shopRegistry(), maxConnections: 20 });
    const rows = await throughput(store);

    bus = await connectNatsBus({ servers: nats.url, name: 'bench-outbox' });
    const relay = startOutboxRelay({ store, bus });
    const s = store;
    const outbox = await latency(bus, 'bench-outbox', 'lat', async (i, sent) => {
      const { events } = await s.append(`lat-${i % 100}`, 'any', [{ type: 'tick', data: { n: i + 1 } }], { subjectScope: 'lat' });
      sent(events[0]!.id);
    });
    await relay.stop();
    const b = bus;
    const direct = await latency(bus, 'bench-direct', 'direct', async (i, sent) => {
      const id = uuidv7();
      sent(id);
      await b.events.publish('evt.shop.tick.direct', Buffer.from(JSON.stringify({ n: i })), { msgId: id });
    });

    return [
      '### Event store append and outbox',
      '',
      `Embedded Postgres started by the benchmark, **fsync off, synchronous_commit off** (test settings): the figures compare code paths, not disks. ${cpus().length} cores; Postgres, nats-server and the benchmark share them.`,
      '',
      '| writers | events per append | store append events/s | raw INSERT events/s | store vs raw |',
      '|---:|---:|---:|---:|---:|',
      ...rows.map((r) => `| ${r.writers} | ${r.perAppend} | ${fmt(r.store, 0)} | ${fmt(r.raw, 0)} | ${ratio(r.store, r.raw)} |`),
      '',
      'Store append = version check + events + outbox rows + NOTIFY in one statement; raw = multi-row INSERT into a plain table (identity key, jsonb), same rows and concurrency.',
      '',
      `| path at ~${LATENCY_RATE} events/s for ${LATENCY_SECONDS} s | samples | p50 ms | p99 ms |`,
      '|---|---:|---:|---:|',
      `| append commit → outbox relay → NATS → durable consumer | ${outbox.n} | ${fmt(outbox.p50)} | ${fmt(outbox.p99)} |`,
      `| baseline: bus publish → NATS → durable consumer | ${direct.n} | ${fmt(direct.p50)} | ${fmt(direct.p99)} |`,
    ].join('\n');
  } finally {
    await bus?.drain().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await nats.dispose();
    await postgres.dispose();
  }
}

if (require.main === module) {
  run().then((report) => { console.log(report); process.exit(0); }, (error: unknown) => { console.error(error); process.exit(1); });
}
