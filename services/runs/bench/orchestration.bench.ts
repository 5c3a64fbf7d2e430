import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { loadAgentsConfig, startAgents } from '@cadre/agents';
import { connectNatsBus, createEmbeddedBus, type Bus, type Subscription } from '@cadre/bus';
import { silentLogger } from '@cadre/logging';
import { REQUEST_ID_HEADER, runCreate } from '@cadre/proto';
import type { Service } from '@cadre/runtime';
import { createTestDatabase, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import { fmt, percentile } from '../../../bench/stats';
import { loadRunsConfig, startRuns } from '../src';

// Orchestration overhead with the dry-run model (zero model latency): the runs and agents
// services in this process, each with its own bus connection on NATS (one shared bus when
// embedded), running the built-in 3-step `demo` pipeline. Times are taken when the events
// arrive on a bus subscription of the bench (sub-millisecond), and from the events' own
// `occurredAt` (millisecond resolution, the runs service's clock).

const SEQUENTIAL_RUNS = 60;
const LOAD_RUNS = 300;
const LOAD_IN_FLIGHT = 32;
const TARGET_P50_MS = 5;
const TARGET_P99_MS = 25;

interface Seen {
  readonly type: string;
  readonly stepId: string | undefined;
  readonly attempt: number | undefined;
  readonly at: number;
  readonly occurredAt: number;
}

interface Stack {
  readonly client: Bus;
  stop(): Promise<void>;
}

async function startStack(transport: 'embedded' | 'nats'): Promise<Stack> {
  const database: TestDatabase = await createTestDatabase('cadre_bench_runs');
  const nats: TestNats | undefined = transport === 'nats' ? await startNats() : undefined;
  const embedded = nats ? undefined : await createEmbeddedBus({ databaseUrl: database.url });
  const buses: Bus[] = embedded ? [embedded] : [];
  const pools: Pool[] = [];
  const connect = async (name: string): Promise<Bus> => {
    if (embedded) return embedded;
    const bus = await connectNatsBus({ servers: nats!.url, name });
    buses.push(bus);
    return bus;
  };
  const deps = async (name: string) => {
    const pool = new Pool({ connectionString: database.url, max: 10 });
    pools.push(pool);
    return { bus: await connect(name), pool, logger: silentLogger(), instance: `${name}-bench` };
  };
  const services: Service[] = [];
  services.push(await startRuns(await deps('runs'), loadRunsConfig({})));
  services.push(await startAgents(await deps('agents'), loadAgentsConfig({
    CADRE_SECRET_KEY: 'a bench key that is long enough to be used', AGENTS_CONCURRENCY: String(LOAD_IN_FLIGHT),
  })));
  const client = await connect('bench');
  return {
    client,
    async stop() {
      for (const service of services.reverse()) await service.shutdown('bench over');
      await Promise.allSettled(buses.map((bus) => bus.drain()));
      await Promise.allSettled(pools.map((pool) => pool.end()));
      await nats?.dispose();
      await database.dispose();
    },
  };
}

/** Every runs event of every run, as the bench's subscription received it. */
async function watch(bus: Bus, byRun: Map<string, Seen[]>, onComplete: (runId: string) => void): Promise<Subscription> {
  return bus.events.replay({ fromSeq: (await bus.events.lastSeq()) + 1, filterSubject: 'evt.runs.>' }, (message) => {
    const at = performance.now();
    const envelope = message.json<{ type: string; occurredAt: string; data: { run_id?: string; step_id?: string; attempt?: number } }>();
    const runId = envelope.data.run_id;
    if (runId === undefined) return;
    const list = byRun.get(runId) ?? [];
    list.push({ type: envelope.type, stepId: envelope.data.step_id, attempt: envelope.data.attempt, at, occurredAt: Date.parse(envelope.occurredAt) });
    byRun.set(runId, list);
    if (envelope.type === 'run_complete' || envelope.type === 'run_failed') onComplete(runId);
  });
}

interface Gaps {
  queuedToStarted: number[];
  completeToQueued: number[];
  startedToComplete: number[];
  queuedToStartedClock: number[];
  completeToQueuedClock: number[];
}

function gapsOf(events: readonly Seen[], into: Gaps): void {
  const key = (e: Seen) => `${e.stepId}#${e.attempt ?? 1}`;
  const queued = new Map<string, Seen>();
  const started = new Map<string, Seen>();
  let lastComplete: Seen | undefined;
  for (const event of events) {
    if (event.type === 'step_queued') {
      queued.set(key(event), event);
      if (lastComplete) {
        into.completeToQueued.push(event.at - lastComplete.at);
        into.completeToQueuedClock.push(event.occurredAt - lastComplete.occurredAt);
        lastComplete = undefined;
      }
    } else if (event.type === 'step_started') {
      const q = queued.get(key(event));
      if (q) {
        into.queuedToStarted.push(event.at - q.at);
        into.queuedToStartedClock.push(event.occurredAt - q.occurredAt);
      }
      started.set(key(event), event);
    } else if (event.type === 'step_complete') {
      const s = [...started.values()].find((e) => e.stepId === event.stepId);
      if (s) into.startedToComplete.push(event.at - s.at);
      lastComplete = event;
    }
  }
}

const emptyGaps = (): Gaps => ({ queuedToStarted: [], completeToQueued: [], startedToComplete: [], queuedToStartedClock: [], completeToQueuedClock: [] });

async function measureTransport(transport: 'embedded' | 'nats'): Promise<{ sequential: Gaps; load: Gaps; runsPerSecond: number; runMs: number[] }> {
  const stack = await startStack(transport);
  const byRun = new Map<string, Seen[]>();
  const waiting = new Map<string, () => void>();
  const finished = new Set<string>();
  const subscription = await watch(stack.client, byRun, (runId) => {
    finished.add(runId);
    waiting.get(runId)?.();
  });
  let requests = 0;
  const startRun = async (i: number): Promise<string> => {
    const run = await stack.client.request<{ id: string }>(runCreate.subject, { pipeline_id: 'demo', task_description: `bench task ${i}` }, {
      headers: { [REQUEST_ID_HEADER]: `bench-${++requests}` }, timeoutMs: 30_000,
    });
    return run.id;
  };
  const completion = (runId: string): Promise<void> => (finished.has(runId) ? Promise.resolve() : new Promise((resolve) => waiting.set(runId, resolve)));
  const oneRun = async (i: number): Promise<string> => {
    const id = await startRun(i);
    await completion(id);
    return id;
  };
  try {
    for (let i = 0; i < 5; i++) await oneRun(i); // warm-up
    // One run at a time: the overhead of each hand-off, without queueing behind other runs.
    const sequential = emptyGaps();
    const runMs: number[] = [];
    for (let i = 0; i < SEQUENTIAL_RUNS; i++) {
      const t0 = performance.now();
      const id = await oneRun(i);
      runMs.push(performance.now() - t0);
      gapsOf(byRun.get(id) ?? [], sequential);
    }
    // Throughput: many runs with a fixed number in flight.
    const load = emptyGaps();
    const ids: string[] = [];
    let next = 0;
    const began = performance.now();
    await Promise.all(Array.from({ length: LOAD_IN_FLIGHT }, async () => {
      while (next < LOAD_RUNS) ids.push(await oneRun(1000 + next++));
    }));
    const runsPerSecond = LOAD_RUNS / ((performance.now() - began) / 1000);
    for (const id of ids) gapsOf(byRun.get(id) ?? [], load);
    return { sequential, load, runsPerSecond, runMs };
  } finally {
    await subscription.stop();
    await stack.stop();
  }
}

const row = (name: string, samples: readonly number[], target = true): string => {
  const p50 = percentile(samples, 50);
  const p99 = percentile(samples, 99);
  const verdict = target ? (p50 < TARGET_P50_MS && p99 < TARGET_P99_MS ? 'met' : 'missed') : '–';
  return `| ${name} | ${samples.length} | ${fmt(p50)} | ${fmt(p99)} | ${fmt(Math.max(...samples))} | ${verdict} |`;
};

/** Orchestration overhead per step and runs per second of the 3-step demo on the dry-run model. */
export async function run(): Promise<string> {
  const lines: string[] = [
    '## Orchestration overhead (runs + agents, dry-run model)',
    '',
    `Built-in \`demo\` pipeline (3 steps, \`dry-run/echo\`, zero model latency). Targets: per-step overhead p50 < ${TARGET_P50_MS} ms, p99 < ${TARGET_P99_MS} ms.`,
    `"Sequential": ${SEQUENTIAL_RUNS} runs one after another. "Load": ${LOAD_RUNS} runs, ${LOAD_IN_FLIGHT} in flight, executor concurrency ${LOAD_IN_FLIGHT}.`,
    'Times in ms between events as received on a bus subscription (receipt), and by the events\' occurredAt (runs service clock, 1 ms resolution).',
    'The targets are judged on the sequential rows (the overhead itself); under load, queueing behind other runs adds to it.',
    '`step_complete → next step_queued` is decided in one append (the same occurredAt), so by receipt it is only the gap between two publishes of one batch.',
    '',
  ];
  for (const transport of ['embedded', 'nats'] as const) {
    const result = await measureTransport(transport);
    lines.push(
      `### ${transport === 'nats' ? 'NATS' : 'Embedded (Postgres bus)'}`,
      '',
      `Runs completed per second under load: **${fmt(result.runsPerSecond, 1)}** (3 steps each). One run alone, end to end: p50 ${fmt(percentile(result.runMs, 50))} ms, p99 ${fmt(percentile(result.runMs, 99))} ms.`,
      '',
      '| hand-off | samples | p50 ms | p99 ms | max ms | target |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
      row('sequential: step_queued → step_started (receipt)', result.sequential.queuedToStarted),
      row('sequential: step_queued → step_started (occurredAt)', result.sequential.queuedToStartedClock),
      row('sequential: step_complete → next step_queued (receipt)', result.sequential.completeToQueued),
      row('sequential: step_complete → next step_queued (occurredAt)', result.sequential.completeToQueuedClock),
      row('sequential: step_started → step_complete (dry-run executor, for scale)', result.sequential.startedToComplete, false),
      row('load: step_queued → step_started (receipt, queueing included)', result.load.queuedToStarted, false),
      row('load: step_complete → next step_queued (receipt)', result.load.completeToQueued, false),
      row('load: step_started → step_complete (dry-run executor, for scale)', result.load.startedToComplete, false),
      '',
    );
  }
  return lines.join('\n');
}

if (require.main === module) {
  run().then((text) => {
    console.log(text);
    process.exit(0);
  }, (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
