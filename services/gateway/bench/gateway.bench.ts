import { connect } from '@nats-io/transport-node';
import { domainFilter, eventSubject } from '@cadre/proto';
import { fmt, measure, percentile, ratio, verdict, runAlone, type BenchResult, type Headline } from '../../../bench/stats';
import { cpus } from 'node:os';
import { cpuBetween, readCpu } from '../../../bench/machine-cpu';
import { httpClient, startHelloWorld, startHttpLoad, type HttpLoad } from './http-load';
import { startSubscribers } from './sse-subscribers';
import { startEmbeddedStack, startNatsStack, type BenchStack } from './stack';

const LEVELS = [1, 16, 64] as const;
const TOTAL = 5000;
// Requests before each measured row: enough for the JIT to have compiled the gateway's path, not only the hello-world's.
const WARM_UP = 2000;
const SUBSCRIBERS = 1000;
const RATE = 100;
const PACED_SECONDS = 10;
const BURST = 2000;

type Row = { name: string; clients: number; perSecond: number; p50: number; p99: number; cpu?: CpuPerRequest };

/** CPU per request over a row's measurement, from /proc, in µs: the node processes, Postgres, nats-server, the machine. */
type CpuPerRequest = { node: number; postgres: number; nats: number; machine: number };

/** Runs `total` requests of `load` and, where /proc is there, what each kind of process spent on them. */
async function measureWithCpu(load: HttpLoad, total: number) {
  const before = readCpu();
  const measured = await load.run(total);
  const used = cpuBetween(before, readCpu());
  const per = (ms: number) => (ms * 1000) / total;
  const cpu = used === undefined ? undefined
    : { node: per(used.commandMs('node')), postgres: per(used.commandMs('postgres')), nats: per(used.commandMs('nats-server')), machine: per(used.machineBusyMs) };
  return { ...measured, ...(cpu !== undefined ? { cpu } : {}) };
}

const POST_BODY = '{"text":"hello"}';

/** A row per level of clients, the load client in a worker thread (see startHttpLoad). */
async function commandRows(name: string, url: string, path: string, headers: Record<string, string>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const clients of LEVELS) {
    const load = startHttpLoad({ url, method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body: POST_BODY, expectStatus: 201 }, clients);
    try {
      await load.run(WARM_UP);
      rows.push({ name, clients, ...(await measureWithCpu(load, TOTAL)) });
    } finally {
      await load.close();
    }
  }
  return rows;
}

/**
 * The method of the sessions before 2026-12-07, kept beside the new one for comparison: one
 * client on the event loop of the server it measures, so each request also waits for the
 * server's work after its response was sent.
 */
async function onServerLoop(url: string, path: string, headers: Record<string, string>): Promise<{ p50: number }> {
  const client = httpClient(url, 1);
  const op = async () => {
    const status = await client.send('POST', path, { 'content-type': 'application/json', ...headers }, POST_BODY);
    if (status !== 201) throw new Error(`${path}: status ${status}`);
  };
  try {
    await measure(op, WARM_UP, 1);
    return await measure(op, TOTAL, 1);
  } finally {
    client.close();
  }
}

/**
 * The baseline of the gateway's own share: a raw nats.js request to a raw nats.js responder on
 * the same NATS server, one in flight, with the body the HTTP clients send.
 */
async function rawNatsRequest(url: string): Promise<{ perSecond: number; p50: number; p99: number }> {
  // Without async traces, as the bus connects: the cheapest request nats.js offers.
  const server = await connect({ servers: url, noAsyncTraces: true });
  const client = await connect({ servers: url, noAsyncTraces: true });
  try {
    server.subscribe('bench.raw.echo', { queue: 'q', callback: (_err: unknown, msg: { respond: (d: Uint8Array) => boolean; data: Uint8Array }) => void msg.respond(msg.data) });
    await server.flush();
    const payload = new TextEncoder().encode('{"text":"hello"}');
    const op = () => client.request('bench.raw.echo', payload);
    await measure(op, WARM_UP, 1);
    return await measure(op, TOTAL, 1);
  } finally {
    await Promise.all([server.close(), client.close()]);
  }
}

interface SseFigures {
  readonly rows: string[];
  readonly pacedP99: number;
  readonly pacedBaselineP99: number;
}

async function sseRows(stack: BenchStack): Promise<SseFigures> {
  const subscribers = await startSubscribers(`${stack.gateway.url}/v1/events/stream`, SUBSCRIBERS, stack.token);
  const now = () => performance.timeOrigin + performance.now();
  await subscribers.report(); // drop what came before
  // The baseline: the same events received by one bus subscriber (no gateway, no HTTP), in this process.
  const base = { paced: [] as number[], burst: [] as number[] };
  let phase: 'paced' | 'burst' = 'paced';
  const direct = await stack.bus.events.replay({ fromSeq: (await stack.bus.events.lastSeq()) + 1, filterSubject: domainFilter('bench') }, (message) => {
    const sentAt = message.json<{ data?: { sent_at?: number } }>().data?.sent_at;
    if (typeof sentAt === 'number') base[phase].push(now() - sentAt);
  });

  // Paced: each event a command through the gateway, appended to the event store (Postgres,
  // outbox, relay, NATS) and fanned out; sent_at is taken when the append begins.
  const client = httpClient(stack.gateway.url, 8);
  const began = now();
  let appended = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (appended >= RATE * PACED_SECONDS) {
        clearInterval(timer);
        resolve();
        return;
      }
      appended++;
      client.send('POST', '/v1/bench/notes', { 'content-type': 'application/json', authorization: `Bearer ${stack.token}` }, '{"text":"paced"}')
        .then((status) => (status === 201 ? undefined : reject(new Error(`paced append: ${status}`))), reject);
    }, 1000 / RATE);
  });
  client.close();
  // The timer slips when the machine is busy: report the rate actually achieved.
  const achievedRate = appended / ((now() - began) / 1000);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const paced = await subscribers.report();
  const pacedSeconds = (now() - began) / 1000;

  // Burst: published straight on the stream as fast as the bus takes them.
  phase = 'burst';
  const burstBegan = now();
  await Promise.all(Array.from({ length: BURST }, (_, i) => {
    const data = Buffer.from(JSON.stringify({ type: 'bench_note_added', data: { note_id: `b${i}`, text: 'burst', sent_at: now() } }));
    return stack.bus.events.publish(eventSubject('bench', 'bench_note_added', `b${i}`), data, { msgId: `burst-${burstBegan}-${i}` });
  }));
  let frames = 0;
  const latencies: number[] = [];
  const deadline = Date.now() + 120_000;
  while (frames < BURST * SUBSCRIBERS && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const part = await subscribers.report();
    frames += part.frames;
    for (const l of part.latencies) latencies.push(l);
  }
  const burstSeconds = (now() - burstBegan) / 1000;
  const dropped = stack.gateway.sseStats().dropped;
  await subscribers.stop();
  await direct.stop();
  const baseRow = (name: string, samples: readonly number[]) =>
    `| baseline: ${name}, one bus subscriber in the bench process | ${samples.length} | – | ${fmt(percentile(samples, 50))} | ${fmt(percentile(samples, 99))} | – |`;
  const rows = [
    `| ${RATE} events/s for ${PACED_SECONDS} s (achieved ${fmt(achievedRate, 0)}/s), commands through the gateway appending to the event store | ${appended} | ${fmt(paced.frames / pacedSeconds, 0)} | ${fmt(percentile(paced.latencies, 50))} | ${fmt(percentile(paced.latencies, 99))} | ${fmt((100 * paced.frames) / (appended * SUBSCRIBERS), 1)} % |`,
    `| burst of ${BURST} events published on the stream | ${BURST} | ${fmt(frames / burstSeconds, 0)} | ${fmt(percentile(latencies, 50))} | ${fmt(percentile(latencies, 99))} | ${fmt((100 * frames) / (BURST * SUBSCRIBERS), 1)} % |`,
    baseRow('the paced events', base.paced),
    baseRow('the burst', base.burst),
    '',
    `Clients dropped as slow during the run: ${dropped}.`,
  ];
  return { rows, pacedP99: percentile(paced.latencies, 99), pacedBaselineP99: percentile(base.paced, 99) };
}

/**
 * Where a request's CPU went at 16 clients (from /proc), and the throughput the machine's cores
 * allow at that cost: the gateway command's ceiling against the hello-world's.
 */
function cpuRows(rows: readonly Row[], baseline: (clients: number) => Row): string[] {
  const at16 = rows.filter((r) => r.clients === 16 && r.cpu !== undefined);
  if (at16.length === 0) return [];
  const cores = cpus().length;
  const us = (n: number) => fmt(n, 0);
  return [
    '',
    `CPU per request at 16 clients, from /proc (µs; "node" is the bench process — gateway or hello-world server and the load client — with the services' process): ${cores} cores at that cost serve at most cores × 10⁶ / machine µs requests a second.`,
    '',
    '| target | node | Postgres | nats-server | machine (every process) | ceiling req/s | ceiling vs hello-world |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...at16.map((r) => {
      const c = r.cpu!;
      const ceiling = (cores * 1e6) / c.machine;
      return `| ${r.name} | ${us(c.node)} | ${us(c.postgres)} | ${us(c.nats)} | ${us(c.machine)} | ${fmt(ceiling, 0)} | ${ratio(ceiling, baseline(16).perSecond)} |`;
    }),
  ];
}

/** Gateway round trip beside an Express hello-world, and SSE fan-out to 1,000 subscribers. */
export async function run(): Promise<BenchResult> {
  const hello = await startHelloWorld();
  const rows: Row[] = [...(await commandRows('Express hello-world', hello.url, '/hello', {}))];
  const helloOnLoop = await onServerLoop(hello.url, '/hello', {});
  await hello.close();

  const nats = await startNatsStack();
  let raw: { perSecond: number; p50: number; p99: number };
  let queryOnLoop: { p50: number };
  try {
    raw = await rawNatsRequest(nats.natsUrl!);
    const auth = { authorization: `Bearer ${nats.token}` };
    rows.push(...(await commandRows('gateway → query → handler, no database (NATS)', nats.gateway.url, '/v1/bench/echo', auth)));
    queryOnLoop = await onServerLoop(nats.gateway.url, '/v1/bench/echo', auth);
    rows.push(...(await commandRows('gateway → command → Postgres append (NATS)', nats.gateway.url, '/v1/bench/notes', auth)));
  } finally {
    await nats.stop();
  }
  const embedded = await startEmbeddedStack();
  try {
    const auth = { authorization: `Bearer ${embedded.token}` };
    rows.push(...(await commandRows('gateway → command → Postgres append (embedded bus)', embedded.gateway.url, '/v1/bench/notes', auth)));
  } finally {
    await embedded.stop();
  }
  // A fresh system for the fan-out, so that no backlog of the load above is still being relayed.
  const fanOut = await startNatsStack();
  let sse: SseFigures;
  try {
    sse = await sseRows(fanOut);
  } finally {
    await fanOut.stop();
  }

  const baseline = (clients: number) => rows.find((r) => r.name === 'Express hello-world' && r.clients === clients)!;
  const headlines: Headline[] = [];
  const command = rows.filter((r) => r.name === 'gateway → command → Postgres append (NATS)');
  const one = command.find((r) => r.clients === 1);
  if (one) {
    headlines.push({
      figure: 'gateway command round trip p50, 1 client (NATS + Postgres)', value: `${fmt(one.p50, 3)} ms`, baseline: `${fmt(baseline(1).p50, 3)} ms hello-world`,
      ratio: ratio(one.p50, baseline(1).p50), target: '< 2 ms', verdict: verdict(one.p50 < 2),
    });
  }
  const query = rows.find((r) => r.name === 'gateway → query → handler, no database (NATS)' && r.clients === 1);
  if (query) {
    const floor = raw.p50 + baseline(1).p50;
    headlines.push({
      figure: 'gateway query p50, no database, 1 client (NATS)', value: `${fmt(query.p50, 3)} ms`,
      baseline: `${fmt(raw.p50, 3)} ms raw NATS request + ${fmt(baseline(1).p50, 3)} ms hello-world`,
      ratio: `+${fmt(query.p50 - floor, 3)} ms`, target: '≤ baselines + 0.3 ms', verdict: verdict(query.p50 <= floor + 0.3),
    });
  }
  for (const r of command) {
    headlines.push({
      figure: `gateway command throughput, ${r.clients} client(s)`, value: `${fmt(r.perSecond, 0)} req/s`, baseline: `${fmt(baseline(r.clients).perSecond, 0)} req/s hello-world`,
      ratio: ratio(r.perSecond, baseline(r.clients).perSecond), target: '≥ 0.25×', verdict: verdict(r.perSecond / baseline(r.clients).perSecond >= 0.25),
    });
  }
  headlines.push({
    figure: `SSE append → receive p99, ${SUBSCRIBERS} subscribers × ${RATE} events/s`, value: `${fmt(sse.pacedP99)} ms`,
    baseline: `${fmt(sse.pacedBaselineP99)} ms one bus subscriber`, ratio: ratio(sse.pacedP99, sse.pacedBaselineP99), target: '< 100 ms', verdict: verdict(sse.pacedP99 < 100),
  });
  const section = [
    `### Gateway command round trip (${TOTAL} POSTs per row, keep-alive HTTP/1.1, bearer token checked)`,
    '',
    'HTTP → auth (cached) → validation → NATS request → handler → Postgres append with outbox → reply → HTTP.',
    'NATS rows: identity and the bench service run in a process of their own, the gateway in the bench process. The load client',
    'runs in a worker thread of the bench process, for the gateway as for the hello-world server: off the event loop it measures,',
    'as a caller is. Embedded rows: everything in one process, as `npm start` runs it. The outbox relay publishes',
    'every appended event and the gateway\'s live feed receives it while the load runs. The "no database" row is the same path',
    'with a handler that answers at once: the gateway and bus share of the cost.',
    '',
    '| target | clients | req/s | p50 ms | p99 ms | req/s vs hello-world |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.clients} | ${fmt(r.perSecond, 0)} | ${fmt(r.p50, 3)} | ${fmt(r.p99, 3)} | ${ratio(r.perSecond, baseline(r.clients).perSecond)} |`),
    `| baseline: raw nats.js request → raw responder, same NATS server | 1 | ${fmt(raw.perSecond, 0)} | ${fmt(raw.p50, 3)} | ${fmt(raw.p99, 3)} | – |`,
    '',
    `The gateway's own share of a query (1 client, p50): ${fmt(query?.p50 ?? Number.NaN, 3)} ms − ${fmt(raw.p50, 3)} ms raw NATS request − ${fmt(baseline(1).p50, 3)} ms hello-world = ${fmt((query?.p50 ?? Number.NaN) - raw.p50 - baseline(1).p50, 3)} ms (target ≤ 0.3 ms).`,
    `With one client on the server's own event loop instead (the method before 2026-12-07, measured in this run; each request then also waits for the server's work after its response is sent, such as the access log line): ${fmt(queryOnLoop.p50, 3)} ms − ${fmt(raw.p50, 3)} ms − ${fmt(helloOnLoop.p50, 3)} ms hello-world = ${fmt(queryOnLoop.p50 - raw.p50 - helloOnLoop.p50, 3)} ms.`,
    '',
    'Targets: command throughput ≥ 25 % of the hello-world; p50 < 2 ms at 1 client.',
    ...cpuRows(rows, (clients) => baseline(clients)),
    '',
    `### SSE fan-out (${SUBSCRIBERS} subscribers on one gateway, NATS; subscribers in a worker thread)`,
    '',
    '| load | events | deliveries/s | append→receive p50 ms | p99 ms | delivered |',
    '|---|---:|---:|---:|---:|---:|',
    ...sse.rows,
    '',
    `Target: append→receive p99 < 100 ms at ${SUBSCRIBERS} subscribers × ${RATE} events/s.`,
  ].join('\n');
  return { section, headlines };
}

if (require.main === module) runAlone(run);
