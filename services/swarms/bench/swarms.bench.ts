import { performance } from 'node:perf_hooks';
import type { Bus, Subscription } from '@cadre/bus';
import { domainFilter, runSpawn, swarmExecute, type SwarmTaskSpec } from '@cadre/proto';
import { inProcessServices } from '../../../bench/in-process';
import { fmt, percentile, ratio, runAlone, verdict, type BenchResult, type Headline } from '../../../bench/stats';

// Swarms on the dry-run model (zero model latency): runs, agents and swarms services in this
// process, each with its own bus connection on NATS (one shared bus when embedded). A DAG of
// TASKS tasks, WIDTH wide (each task depends on two of the layer before), runs at
// max_concurrent 8 and 32. Times are taken when events arrive on a bus subscription of the
// bench, and from the events' own `occurredAt`.

const TASKS = Number(process.env.BENCH_SWARM_TASKS ?? 200);
const WIDTH = 20;
const CONCURRENCY = [8, 32] as const;
const TARGET_P50_MS = 10;
const TARGET_P99_MS = 50;

interface Stack {
  readonly client: Bus;
  stop(): Promise<void>;
}

async function startStack(transport: 'embedded' | 'nats'): Promise<Stack> {
  const local = await inProcessServices('cadre_bench_swarms', transport);
  await local.start(['runs', 'agents', 'swarms'], { CADRE_SECRET_KEY: 'a bench key that is long enough to be used', AGENTS_CONCURRENCY: '32' });
  return { client: await local.connect('bench'), stop: () => local.stop() };
}

interface Seen {
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly at: number;
  readonly occurredAt: number;
}

/** Events of a domain from now on, as the bench's subscription receives them. */
async function watch(bus: Bus, domain: string, onEvent: (seen: Seen) => void): Promise<Subscription> {
  return bus.events.replay({ fromSeq: (await bus.events.lastSeq()) + 1, filterSubject: domainFilter(domain) }, (message) => {
    const at = performance.now();
    const envelope = message.json<{ type: string; occurredAt: string; data: Record<string, unknown> }>();
    onEvent({ type: envelope.type, data: envelope.data, at, occurredAt: Date.parse(envelope.occurredAt) });
  });
}

function dag(): SwarmTaskSpec[] {
  return Array.from({ length: TASKS }, (_, n) => {
    const layer = Math.floor(n / WIDTH);
    const i = n % WIDTH;
    return {
      key: `l${layer}-${i}`, title: `Layer ${layer} task ${i}`, execution_prompt: `Bench task ${n}.`,
      dependencies: layer === 0 ? [] : [`l${layer - 1}-${i}`, `l${layer - 1}-${(i + 1) % WIDTH}`],
    };
  });
}

interface SwarmRun {
  readonly tasksPerSecond: number;
  /** Last dependency's swarm_task_complete → the dependent's swarm_task_started, by receipt and by occurredAt. */
  readonly dispatch: number[];
  readonly dispatchClock: number[];
  /** swarm_task_started → swarm_task_complete of one task (its spawned run, for scale). */
  readonly taskMs: number[];
}

async function runSwarm(stack: Stack, maxConcurrent: number): Promise<SwarmRun> {
  const events: Seen[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => { finish = resolve; });
  let swarmId = '';
  const sub = await watch(stack.client, 'swarms', (seen) => {
    if (seen.data.swarm_id !== swarmId && swarmId !== '') return;
    events.push(seen);
    if (seen.type === 'swarm_completed' || seen.type === 'swarm_failed') finish();
  });
  try {
    const began = performance.now();
    const launched = await stack.client.request<{ swarm_id: string }>(swarmExecute.subject, {
      agent_id: 'demo-writer', tasks: dag(), max_concurrent: maxConcurrent, global_timeout_seconds: 3600,
    }, { timeoutMs: 30_000 });
    swarmId = launched.swarm_id;
    await finished;
    const seconds = (performance.now() - began) / 1000;
    const mine = events.filter((e) => e.data.swarm_id === swarmId);
    const failed = mine.find((e) => e.type === 'swarm_failed');
    if (failed) throw new Error(`bench swarm failed: ${String(failed.data.error)}`);
    const byKey = (type: string) => new Map(mine.filter((e) => e.type === type).map((e) => [String(e.data.task_key), e]));
    const started = byKey('swarm_task_started');
    const complete = byKey('swarm_task_complete');
    const dispatch: number[] = [];
    const dispatchClock: number[] = [];
    const taskMs: number[] = [];
    for (const task of dag()) {
      const start = started.get(task.key);
      const end = complete.get(task.key);
      if (start && end) taskMs.push(end.at - start.at);
    }
    // A dependent starts when its last dependency completed and a slot is free: the later of the
    // two is the completion just before its start (the decision that started it appended both).
    let trigger: Seen | undefined;
    const dependents = new Set(dag().filter((t) => t.dependencies.length > 0).map((t) => t.key));
    for (const event of mine) {
      if (event.type === 'swarm_task_complete') trigger = event;
      else if (event.type === 'swarm_task_started' && dependents.has(String(event.data.task_key)) && trigger !== undefined) {
        dispatch.push(event.at - trigger.at);
        dispatchClock.push(event.occurredAt - trigger.occurredAt);
      }
    }
    return { tasksPerSecond: TASKS / seconds, dispatch, dispatchClock, taskMs };
  } finally {
    await sub.stop();
  }
}

/** The baseline: TASKS single-step runs spawned straight on the runs service, `inFlight` at a time, same agent and model. */
async function runSpawns(stack: Stack, inFlight: number, tag: string): Promise<number> {
  const waiting = new Map<string, () => void>();
  const done = new Set<string>();
  const sub = await watch(stack.client, 'runs', (seen) => {
    if (seen.type !== 'run_complete' && seen.type !== 'run_failed') return;
    const runId = String(seen.data.run_id);
    done.add(runId);
    waiting.get(runId)?.();
  });
  try {
    let next = 0;
    const began = performance.now();
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < TASKS) {
        const runId = `bench-${tag}-${next++}`;
        const finished = new Promise<void>((resolve) => waiting.set(runId, resolve));
        await stack.client.request(runSpawn.subject, { run_id: runId, agent_id: 'demo-writer', model: 'dry-run/echo', prompt: `Bench run ${runId}.` }, { timeoutMs: 30_000 });
        if (!done.has(runId)) await finished;
      }
    }));
    return TASKS / ((performance.now() - began) / 1000);
  } finally {
    await sub.stop();
  }
}

const row = (name: string, samples: readonly number[], target: boolean): string => {
  const [p50, p99] = [percentile(samples, 50), percentile(samples, 99)];
  const judged = target ? (p50 < TARGET_P50_MS && p99 < TARGET_P99_MS ? 'met' : 'missed') : '–';
  return `| ${name} | ${samples.length} | ${fmt(p50)} | ${fmt(p99)} | ${fmt(Math.max(...samples))} | ${judged} |`;
};

/** Dispatch latency and tasks per second of a 200-task swarm, beside single-step runs per second. */
export async function run(): Promise<BenchResult> {
  const lines: string[] = [
    '## Swarms (runs + agents + swarms, dry-run model)',
    '',
    `A DAG of ${TASKS} tasks, ${WIDTH} wide (each task depends on two of the layer before), agent \`demo-writer\` on \`dry-run/echo\` (zero model latency).`,
    `Dispatch latency: the \`swarm_task_complete\` that made a dependent startable (its last dependency's, or — when it waited for a slot — the one that freed the slot) → the dependent's \`swarm_task_started\`, for every task with dependencies. Targets p50 < ${TARGET_P50_MS} ms, p99 < ${TARGET_P99_MS} ms (the anchor polls every 2.5 s).`,
    'Both are decided in one append, so by occurredAt the gap is 0; by receipt it is the gap between two publishes of one batch.',
    `Baseline, measured in the same run on the same stack: ${TASKS} single-step runs spawned straight on the runs service (\`runs.cmd.spawn\`, the same agent and model) with as many in flight as the swarm's max_concurrent.`,
    '',
  ];
  const headlines: Headline[] = [];
  for (const transport of ['embedded', 'nats'] as const) {
    const name = transport === 'nats' ? 'NATS' : 'embedded';
    const stack = await startStack(transport);
    try {
      await runSpawns(stack, 8, `${transport}-warm`); // warm-up
      lines.push(`### ${transport === 'nats' ? 'NATS' : 'Embedded (Postgres bus)'}`, '');
      const table = ['| figure | samples | p50 ms | p99 ms | max ms | target |', '| --- | ---: | ---: | ---: | ---: | --- |'];
      const rates: string[] = [];
      for (const concurrency of CONCURRENCY) {
        const baseline = await runSpawns(stack, concurrency, `${transport}-${concurrency}`);
        const swarm = await runSwarm(stack, concurrency);
        table.push(
          row(`max_concurrent ${concurrency}: dispatch (receipt)`, swarm.dispatch, true),
          row(`max_concurrent ${concurrency}: dispatch (occurredAt)`, swarm.dispatchClock, false),
          row(`max_concurrent ${concurrency}: swarm_task_started → swarm_task_complete (for scale)`, swarm.taskMs, false),
        );
        rates.push(`max_concurrent ${concurrency}: **${fmt(swarm.tasksPerSecond, 1)} tasks/s**, single-step runs ${fmt(baseline, 1)} runs/s (${ratio(swarm.tasksPerSecond, baseline)})`);
        const [p50, p99] = [percentile(swarm.dispatch, 50), percentile(swarm.dispatch, 99)];
        headlines.push(
          { figure: `swarm dispatch p50, max_concurrent ${concurrency} (${name})`, value: `${fmt(p50)} ms`, baseline: '2500 ms anchor poll', ratio: ratio(p50, 2500), target: `< ${TARGET_P50_MS} ms`, verdict: verdict(p50 < TARGET_P50_MS) },
          { figure: `swarm dispatch p99, max_concurrent ${concurrency} (${name})`, value: `${fmt(p99)} ms`, baseline: '2500 ms anchor poll', ratio: ratio(p99, 2500), target: `< ${TARGET_P99_MS} ms`, verdict: verdict(p99 < TARGET_P99_MS) },
          {
            figure: `swarm tasks completed per second, max_concurrent ${concurrency} (${name})`, value: `${fmt(swarm.tasksPerSecond, 1)} tasks/s`,
            baseline: `${fmt(baseline, 1)} single-step runs/s`, ratio: ratio(swarm.tasksPerSecond, baseline), target: '–', verdict: '–',
          },
        );
      }
      lines.push(...rates.map((r) => `- ${r}`), '', ...table, '');
    } finally {
      await stack.stop();
    }
  }
  return { section: lines.join('\n'), headlines };
}

if (require.main === module) runAlone(run);
