import { eventSubject } from '@cadre/proto';
import { fmt, measure, percentile, ratio } from '../../../bench/stats';
import { httpClient, startHelloWorld } from './http-load';
import { startSubscribers } from './sse-subscribers';
import { startStack, type BenchStack } from './stack';

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

  // Paced: each event appended through the event store (Postgres, outbox, relay, NATS, gateway).
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
      stack.notes.append('paced', now()).catch(reject);
    }, 1000 / RATE);
  });
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
    `| ${RATE} events/s for ${PACED_SECONDS} s, appended through the event store | ${appended} | ${fmt(paced.frames / pacedSeconds, 0)} | ${fmt(percentile(paced.latencies, 50))} | ${fmt(percentile(paced.latencies, 99))} | ${fmt((100 * paced.frames) / (appended * SUBSCRIBERS), 1)} % |`,
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

  const nats = await startStack('nats');
  let sse: string[];
  try {
    rows.push(...(await commandRows('gateway → command → Postgres append (NATS)', nats.gateway.url, '/v1/bench/notes', { authorization: `Bearer ${nats.token}` })));
    sse = await sseRows(nats);
  } finally {
    await nats.stop();
  }
  const embedded = await startStack('embedded');
  try {
    rows.push(...(await commandRows('gateway → command → Postgres append (embedded bus)', embedded.gateway.url, '/v1/bench/notes', { authorization: `Bearer ${embedded.token}` })));
  } finally {
    await embedded.stop();
  }

  const baseline = (clients: number) => rows.find((r) => r.name === 'Express hello-world' && r.clients === clients)!;
  return [
    `### Gateway command round trip (${TOTAL} POSTs per row, keep-alive HTTP/1.1, bearer token checked)`,
    '',
    'HTTP → auth (cached) → validation → NATS request → handler → Postgres append with outbox → reply → HTTP.',
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
