import { connect } from '@nats-io/transport-node';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { createTestDatabase, startNats } from '@cadre/testing';
import { fmt, measure, ratio, verdict, runAlone, type BenchResult } from '../../../bench/stats';

const TOTAL = 20_000;
const LEVELS = [1, 64] as const;

type Row = { name: string; inFlight: number; perSecond: number; p50: number; p99: number; cpuUs: number };

/** Measures `op` and the CPU this process spent a request (both ends of every row run here). */
async function measureWithCpu(op: () => Promise<unknown>, total: number, inFlight: number) {
  const before = process.cpuUsage();
  const measured = await measure(op, total, inFlight);
  const used = process.cpuUsage(before);
  return { ...measured, cpuUs: (used.user + used.system) / total };
}

async function benchBus(name: string, bus: Bus, client: Bus): Promise<Row[]> {
  await bus.serve({ name: 'bench', version: '1.0.0', endpoints: { 'bench.echo': (payload) => payload } });
  const rows: Row[] = [];
  for (const inFlight of LEVELS) {
    await measure(() => client.request('bench.echo', { n: 1 }), 1000, inFlight); // warm-up
    rows.push({ name, inFlight, ...(await measureWithCpu(() => client.request('bench.echo', { n: 1 }), TOTAL, inFlight)) });
  }
  return rows;
}

/** Request/reply round trip: raw nats.js, Cadre's NATS transport, Cadre's embedded transport. */
export async function run(): Promise<BenchResult> {
  const nats = await startNats({ controllable: true });
  const database = await createTestDatabase('cadre_bench');
  const rows: Row[] = [];
  try {
    // Without async traces, as the bus connects: the cheapest request nats.js offers.
    const server = await connect({ servers: nats.url, noAsyncTraces: true });
    const raw = await connect({ servers: nats.url, noAsyncTraces: true });
    const sub = server.subscribe('raw.echo', { queue: 'q', callback: (_err, msg) => {
      msg.respond(msg.data);
    } });
    // The subscription reaches the server before the first request (else "no responders").
    await server.flush();
    const payload = new TextEncoder().encode(JSON.stringify({ n: 1 }));
    for (const inFlight of LEVELS) {
      await measure(() => raw.request('raw.echo', payload), 1000, inFlight);
      rows.push({ name: 'raw nats.js', inFlight, ...(await measureWithCpu(() => raw.request('raw.echo', payload), TOTAL, inFlight)) });
    }
    sub.unsubscribe();
    await Promise.all([server.close(), raw.close()]);

    const natsServe = await connectNatsBus({ servers: nats.url, name: 'bench-server' });
    const natsClient = await connectNatsBus({ servers: nats.url, name: 'bench-client' });
    rows.push(...(await benchBus('Cadre bus (NATS)', natsServe, natsClient)));
    await Promise.all([natsServe.drain(), natsClient.drain()]);

    const embedded = await createEmbeddedBus({ databaseUrl: database.url });
    rows.push(...(await benchBus('Cadre bus (embedded)', embedded, embedded)));
    await embedded.drain();
  } finally {
    await nats.dispose();
    await database.dispose();
  }
  const baseline = (inFlight: number) => rows.find((r) => r.name === 'raw nats.js' && r.inFlight === inFlight)!;
  const lines = [
    `### Request/reply round trip (${TOTAL} requests per row, JSON payload)`,
    '',
    '| transport | in flight | req/s | p50 ms | p99 ms | p50 vs raw nats.js | req/s vs raw | CPU µs a request (both ends) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.inFlight} | ${fmt(r.perSecond, 0)} | ${fmt(r.p50, 3)} | ${fmt(r.p99, 3)} | ${ratio(r.p50, baseline(r.inFlight).p50)} | ${ratio(r.perSecond, baseline(r.inFlight).perSecond)} | ${fmt(r.cpuUs, 0)} |`),
    '',
    'Both ends of each row run in the bench process; its CPU a request is what a request costs the machine\'s',
    'Node processes (nats-server aside). The bus\'s NATS transport answers a request from its own inbox subscription',
    '(no `Error` built for each reply, as `nc.request` of nats.js 3.4 does); the raw row is nats.js\'s own request.',
    '',
    'Target: Cadre NATS p50 ≤ 1.5× raw nats.js.',
  ];
  const headlines = rows.filter((r) => r.name === 'Cadre bus (NATS)').map((r) => {
    const base = baseline(r.inFlight);
    return {
      figure: `bus request/reply p50, ${r.inFlight} in flight (NATS)`, value: `${fmt(r.p50, 3)} ms`, baseline: `${fmt(base.p50, 3)} ms raw nats.js`,
      ratio: ratio(r.p50, base.p50), target: '≤ 1.5×', verdict: verdict(r.p50 / base.p50 <= 1.5),
    };
  });
  return { section: lines.join('\n'), headlines };
}

if (require.main === module) runAlone(run);
