import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { v7 as uuidv7 } from 'uuid';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { eventSubject } from '@cadre/proto';
import { startEmbeddedPostgres, startNats } from '@cadre/testing';
import { fmt, percentile, ratio, verdict, runAlone, type BenchResult, type Headline } from '../../../bench/stats';
import { createEventStore, startOutboxRelay, type EventStore, type NewEvent } from '../src';
import { shopRegistry } from '../src/test-support/events';

const WRITERS = [1, 16] as const;
const PER_APPEND = [1, 10] as const;
const APPENDS_PER_WRITER = { 1: 3_000, 16: 400 } as const;
// Store and baselines take turns in short rounds, so background load on the shared cores
// falls on all of them alike instead of on whichever ran during a burst; the ratio reported
// is the median of the rounds' ratios, which one noisy round cannot move.
const ROUNDS = 10;
const LATENCY_RATE = 1_000; // events/s
const LATENCY_SECONDS = 5;
const TICK_MS = 10;

type Kind = 'store' | 'rawEvents' | 'rawMinimal';
type ThroughputRow = { writers: number; perAppend: number; vsRaw: number; vsMinimal: number } & Record<Kind, number>;
type Op = (writer: number, i: number) => Promise<unknown>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `writers` loops of `appends` operations each; returns the seconds it took. */
async function timed(writers: number, appends: number, op: Op): Promise<number> {
  const begin = performance.now();
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    for (let i = 0; i < appends; i++) await op(w, i);
  }));
  return (performance.now() - begin) / 1000;
}

// The like-for-like baseline: the columns of an events row, a primary key and nothing else
// (no position, no other unique index, no version check, no outbox, no NOTIFY).
const RAW_EVENTS_TABLE = `CREATE TABLE bench_raw_events (id uuid PRIMARY KEY, stream_id text NOT NULL, version integer NOT NULL,
  type text NOT NULL, data jsonb NOT NULL, meta jsonb NOT NULL, occurred_at timestamptz NOT NULL)`;
// The earlier, minimal baseline: fewer and smaller columns than an event, kept for comparison.
const RAW_MINIMAL_TABLE = 'CREATE TABLE bench_raw (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream text NOT NULL, data jsonb NOT NULL)';

/** The operations compared for one configuration; `tag` keeps each round's streams fresh. */
function operations(store: EventStore, perAppend: number, tag: string): Record<Kind, Op> {
  const data = (i: number, k: number) => ({ n: i * perAppend + k + 1 });
  const batch = (i: number): NewEvent[] => Array.from({ length: perAppend }, (_, k) => ({ type: 'tick', data: data(i, k) }));
  // Same rows the store writes: a UUIDv7 id, the next versions, the meta the store stamps.
  const eventValues = Array.from({ length: perAppend }, (_, k) => `(${Array.from({ length: 7 }, (_, c) => `$${k * 7 + c + 1}`).join(', ')})`).join(', ');
  const rawEvents = { name: `bench_raw_events_${perAppend}`, text: `INSERT INTO bench_raw_events (id, stream_id, version, type, data, meta, occurred_at) VALUES ${eventValues}` };
  const minimalValues = Array.from({ length: perAppend }, (_, k) => `($1, $${k + 2}::jsonb)`).join(', ');
  return {
    // Each writer owns a stream and appends at the version it knows: no conflicts, as in a service.
    store: (w, i) => store.append(`bench-${tag}-${w}`, i === 0 ? 'no_stream' : i * perAppend, batch(i)),
    rawEvents: (w, i) => {
      const occurredAt = new Date().toISOString();
      const values = Array.from({ length: perAppend }, (_, k) => [
        uuidv7(), `raw-${tag}-${w}`, i * perAppend + k + 1, 'tick', JSON.stringify(data(i, k)), JSON.stringify({ schemaVersion: 1 }), occurredAt,
      ]).flat();
      return store.pool.query({ ...rawEvents, values });
    },
    rawMinimal: (w, i) =>
      store.pool.query(`INSERT INTO bench_raw (stream, data) VALUES ${minimalValues}`, [`min-${tag}-${w}`, ...batch(i).map((e) => JSON.stringify(e.data))]),
  };
}

async function throughput(store: EventStore): Promise<ThroughputRow[]> {
  await store.pool.query(RAW_EVENTS_TABLE);
  await store.pool.query(RAW_MINIMAL_TABLE);
  const rows: ThroughputRow[] = [];
  let run = 0;
  for (const writers of WRITERS) {
    for (const perAppend of PER_APPEND) {
      run++;
      const appends = APPENDS_PER_WRITER[writers] / ROUNDS;
      const warm = operations(store, perAppend, `warm-${run}`);
      for (const kind of ['store', 'rawEvents', 'rawMinimal'] as const) await timed(writers, Math.ceil(appends / 5), warm[kind]);
      const seconds: Record<Kind, number[]> = { store: [], rawEvents: [], rawMinimal: [] };
      for (let round = 0; round < ROUNDS; round++) {
        const ops = operations(store, perAppend, `${run}-${round}`);
        const order: Kind[] = (['store', 'rawEvents', 'rawMinimal'] as const).map((_, k, all) => all[(k + round) % all.length]!);
        for (const kind of order) seconds[kind].push(await timed(writers, appends, ops[kind]));
      }
      const events = writers * appends * perAppend;
      const rate = (kind: Kind): number => (events * ROUNDS) / seconds[kind].reduce((a, b) => a + b, 0);
      // Same work in each round, so a ratio of rates is the inverse ratio of times.
      const vs = (kind: Kind): number => percentile(seconds.store.map((t, r) => seconds[kind][r]! / t), 50);
      rows.push({ writers, perAppend, store: rate('store'), rawEvents: rate('rawEvents'), rawMinimal: rate('rawMinimal'), vsRaw: vs('rawEvents'), vsMinimal: vs('rawMinimal') });
      await store.pool.query('TRUNCATE shop.outbox, bench_raw_events, bench_raw');
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
  const sub = await bus.events.consume({ durable, filterSubject: eventSubject('shop', 'tick', scope), deliverFrom: { kind: 'new' } }, async (message) => {
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

type Latency = Awaited<ReturnType<typeof latency>>;

/** Outbox commit → consumer through `bus`, then the same with a direct publish (the baseline). */
async function outboxAndDirect(store: EventStore, bus: Bus): Promise<{ outbox: Latency; direct: Latency }> {
  const relay = startOutboxRelay({ store, bus });
  const outbox = await latency(bus, 'bench-outbox', 'lat', async (i, sent) => {
    const { events } = await store.append(`lat-${i % 100}`, 'any', [{ type: 'tick', data: { n: i + 1 } }], { subjectScope: 'lat' });
    sent(events[0]!.id);
  });
  await relay.stop();
  const direct = await latency(bus, 'bench-direct', 'direct', async (i, sent) => {
    const id = uuidv7();
    sent(id);
    await bus.events.publish(eventSubject('shop', 'tick', 'direct'), Buffer.from(JSON.stringify({ n: i })), { msgId: id });
  });
  return { outbox, direct };
}

async function withEmbeddedBus<T>(databaseUrl: string, use: (bus: Bus) => Promise<T>): Promise<T> {
  const bus = await createEmbeddedBus({ databaseUrl, schema: 'bench_bus' });
  try {
    return await use(bus);
  } finally {
    await bus.drain();
  }
}

/** Append throughput beside raw INSERTs, and outbox latency commit → consumer through NATS and the embedded bus. */
export async function run(): Promise<BenchResult> {
  const [postgres, nats] = await Promise.all([startEmbeddedPostgres(), startNats({ controllable: true })]);
  let store: EventStore | undefined;
  let bus: Bus | undefined;
  try {
    store = await createEventStore({ databaseUrl: postgres.url, schema: 'shop', registry: shopRegistry(), maxConnections: 20 });
    const rows = await throughput(store);

    bus = await connectNatsBus({ servers: nats.url, name: 'bench-outbox' });
    const paths: Record<'NATS' | 'embedded', { outbox: Latency; direct: Latency }> = {
      NATS: await outboxAndDirect(store, bus),
      embedded: await withEmbeddedBus(postgres.url, (embedded) => outboxAndDirect(store!, embedded)),
    };
    const { outbox, direct } = paths.NATS;

    const section = [
      '### Event store append and outbox',
      '',
      `Embedded Postgres started by the benchmark, **fsync off, synchronous_commit off** (test settings): the figures compare code paths, not disks. ${cpus().length} cores; Postgres, nats-server and the benchmark share them.`,
      '',
      '| writers | events per append | store append events/s | raw INSERT, same event rows | store vs raw | minimal INSERT (2 columns) | store vs minimal |',
      '|---:|---:|---:|---:|---:|---:|---:|',
      ...rows.map((r) => `| ${r.writers} | ${r.perAppend} | ${fmt(r.store, 0)} | ${fmt(r.rawEvents, 0)} | ${fmt(r.vsRaw)}× | ${fmt(r.rawMinimal, 0)} | ${fmt(r.vsMinimal)}× |`),
      '',
      '- **Store append**: validation, version check, events rows (unique position, id and stream+version) and one outbox row per append, in one statement; the relay NOTIFY is in that statement for a lone append, and sent once after commit for appends that overlap.',
      '- **Raw INSERT, same event rows** (the target\'s baseline): the same rows (UUIDv7 id, stream_id, version, type, data jsonb, meta jsonb, occurred_at) in one multi-row prepared INSERT per append into a plain table whose only index is its primary key: writing the events without the store\'s guarantees.',
      '- **Minimal INSERT**: the earlier baseline, (stream, data jsonb) into a two-column table with an identity key; it writes less than an event row, so it is shown for comparison only.',
      `- Same pool and concurrency for all three. They take turns in ${ROUNDS} short rounds per row: events/s are over all rounds, "store vs" is the median of the rounds' ratios. Target: store ≥ 0.50× the raw event-row INSERT at 16 writers.`,
      '',
      `| path at ~${LATENCY_RATE} events/s for ${LATENCY_SECONDS} s | samples | p50 ms | p99 ms | vs baseline (p50 / p99) |`,
      '|---|---:|---:|---:|---:|',
      ...(['NATS', 'embedded'] as const).flatMap((name) => [
        `| append commit → outbox relay → ${name} bus → durable consumer | ${paths[name].outbox.n} | ${fmt(paths[name].outbox.p50)} | ${fmt(paths[name].outbox.p99)} | ${ratio(paths[name].outbox.p50, paths[name].direct.p50)} / ${ratio(paths[name].outbox.p99, paths[name].direct.p99)} |`,
        `| baseline: bus publish → ${name} bus → durable consumer | ${paths[name].direct.n} | ${fmt(paths[name].direct.p50)} | ${fmt(paths[name].direct.p99)} | 1.00× |`,
      ]),
      '',
      'Target (NATS): outbox commit → consumer p99 ≤ 2× the direct publish and < 20 ms. The embedded bus is a Postgres table: its direct publish is itself a commit.',
    ].join('\n');
    const headlines: Headline[] = rows.filter((r) => r.writers === 16).map((r) => ({
      figure: `event store append, 16 writers, ${r.perAppend} event(s) per append`, value: `${fmt(r.store, 0)} events/s`,
      baseline: `${fmt(r.rawEvents, 0)} events/s raw INSERT`, ratio: `${fmt(r.vsRaw)}×`, target: '≥ 0.50×', verdict: verdict(r.vsRaw >= 0.5),
    }));
    headlines.push({
      figure: 'outbox: commit → durable consumer p99 (NATS)', value: `${fmt(outbox.p99)} ms`, baseline: `${fmt(direct.p99)} ms direct publish`,
      ratio: ratio(outbox.p99, direct.p99), target: '≤ 2× and < 20 ms', verdict: verdict(outbox.p99 < 20 && outbox.p99 <= 2 * direct.p99),
    }, {
      figure: 'outbox: commit → durable consumer p99 (embedded)', value: `${fmt(paths.embedded.outbox.p99)} ms`, baseline: `${fmt(paths.embedded.direct.p99)} ms direct publish`,
      ratio: ratio(paths.embedded.outbox.p99, paths.embedded.direct.p99), target: '–', verdict: '–',
    });
    return { section, headlines };
  } finally {
    await bus?.drain().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await nats.dispose();
    await postgres.dispose();
  }
}

if (require.main === module) runAlone(run);
