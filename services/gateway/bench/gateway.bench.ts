import { eventSubject } from '@cadre/proto';
import { fmt, measure, percentile, ratio } from '../../../bench/stats';
import { httpClient, startHelloWorld } from './http-load';
import { startSubscribers } from './sse-subscribers';
import { startEmbeddedStack, startNatsStack, type BenchStack } from './stack';

const LEVELS = [1, 16, 64] as const;
const TOTAL = 5000;
const SUBSCRIBERS = 1000;
const RATE = 100;
const PACED_SECONDS = 10;
const BURST = 2000;

type Row = { name: string; clients: number; perSecond: number; p50: number; p99: number };

async function commandRows(name: string, url: string, path: string, headers: Record<string, string>): Promise<Row[]> {
  const rows: Row[] = [];
  for (const clients of LEVELS) {
    const client = httpClient(url, clients);
    const op = async () => {
      const status = await client.send('POST', path, { 'content-type': 'application/json', ...headers }, '{"text":"hello"}');
      if (status !== 201) throw new Error(`${name}: status ${status}`);
    };
    await measure(op, 500, clients); // warm-up
    rows.push({ name, clients, ...(await measure(op, TOTAL, clients)) });
    client.close();
  }
  return rows;
}

async function sseRows(stack: BenchStack): Promise<string[]> {
  const subscribers = await startSubscribers(`${stack.gateway.url}/v1/events/stream`, SUBSCRIBERS, stack.token);
  const now = () => performance.timeOrigin + performance.now();
  await subscribers.report(); // drop what came before

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
  return [
    `| ${RATE} events/s for ${PACED_SECONDS} s (achieved ${fmt(achievedRate, 0)}/s), commands through the gateway appending to the event store | ${appended} | ${fmt(paced.frames / pacedSeconds, 0)} | ${fmt(percentile(paced.latencies, 50))} | ${fmt(percentile(paced.latencies, 99))} | ${fmt((100 * paced.frames) / (appended * SUBSCRIBERS), 1)} % |`,
    `| burst of ${BURST} events published on the stream | ${BURST} | ${fmt(frames / burstSeconds, 0)} | ${fmt(percentile(latencies, 50))} | ${fmt(percentile(latencies, 99))} | ${fmt((100 * frames) / (BURST * SUBSCRIBERS), 1)} % |`,
    '',
    `Clients dropped as slow during the run: ${dropped}.`,
  ];
}

/** Gateway round trip beside an Express hello-world, and SSE fan-out to 1,000 subscribers. */
export async function run(): Promise<string> {
  const hello = await startHelloWorld();
  const rows: Row[] = [...(await commandRows('Express hello-world', hello.url, '/hello', {}))];
  await hello.close();

  const nats = await startNatsStack();
  try {
    const auth = { authorization: `Bearer ${nats.token}` };
    rows.push(...(await commandRows('gateway → query → handler, no database (NATS)', nats.gateway.url, '/v1/bench/echo', auth)));
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
  let sse: string[];
  try {
    sse = await sseRows(fanOut);
  } finally {
    await fanOut.stop();
  }

  const baseline = (clients: number) => rows.find((r) => r.name === 'Express hello-world' && r.clients === clients)!;
  return [
    `### Gateway command round trip (${TOTAL} POSTs per row, keep-alive HTTP/1.1, bearer token checked)`,
    '',
    'HTTP → auth (cached) → validation → NATS request → handler → Postgres append with outbox → reply → HTTP.',
    'NATS rows: identity and the bench service run in a process of their own, the load client beside the gateway (as it sits',
    'beside the hello-world server). Embedded rows: everything in one process, as `npm start` runs it. The outbox relay publishes',
    'every appended event and the gateway\'s live feed receives it while the load runs. The "no database" row is the same path',
    'with a handler that answers at once: the gateway and bus share of the cost.',
    '',
    '| target | clients | req/s | p50 ms | p99 ms | req/s vs hello-world |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.clients} | ${fmt(r.perSecond, 0)} | ${fmt(r.p50, 3)} | ${fmt(r.p99, 3)} | ${ratio(r.perSecond, baseline(r.clients).perSecond)} |`),
    '',
    'Targets: command throughput ≥ 25 % of the hello-world; p50 < 2 ms at 1 client.',
    '',
    `### SSE fan-out (${SUBSCRIBERS} subscribers on one gateway, NATS; subscribers in a worker thread)`,
    '',
    '| load | events | deliveries/s | append→receive p50 ms | p99 ms | delivered |',
    '|---|---:|---:|---:|---:|---:|',
    ...sse,
    '',
    `Target: append→receive p99 < 100 ms at ${SUBSCRIBERS} subscribers × ${RATE} events/s.`,
  ].join('\n');
}

if (require.main === module) {
  run().then((report) => {
    console.log(report);
    process.exit(0);
  }, (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
