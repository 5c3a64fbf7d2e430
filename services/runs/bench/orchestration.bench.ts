import { performance } from 'node:perf_hooks';
import { REQUEST_ID_HEADER, runCreate } from '@cadre/proto';
import { cpus } from 'node:os';
import { cpuBetween, readCpu } from '../../../bench/machine-cpu';
import { fmt, percentile, ratio, verdict, runAlone, type BenchResult, type Headline } from '../../../bench/stats';
import { HANDOFF_SAMPLES, measureChains, measureHandoff } from './baselines';
import { installStatementCounter, statementsPerStep, type StatementCounter } from './statement-counter';
import { emptyGaps, gapsOf, watch, type Gaps, type Seen } from './run-events';
import { startStack, TRANSPORT_NAMES, type Transport } from './stack';

// Orchestration overhead with the dry-run model (zero model latency): the runs and agents
// services in this process, each with its own bus connection on NATS (one shared bus when
// embedded), or, as deployed on NATS (`processes`), each in a process of its own started by the
// one entry point — running the built-in 3-step `demo` pipeline. Times are taken when the events
// arrive on a bus subscription of the bench (sub-millisecond), and from the events' own
// `occurredAt` (millisecond resolution, the runs service's clock).

const SEQUENTIAL_RUNS = Number(process.env.BENCH_ORCH_SEQUENTIAL ?? 60);
const LOAD_RUNS = Number(process.env.BENCH_ORCH_LOAD ?? 300);
const LOAD_IN_FLIGHT = 32;
/** Runs created at once (issue 17's throughput scenario). */
const BURST_RUNS = Number(process.env.BENCH_ORCH_BURST ?? 200);
const TARGET_P50_MS = 5;
const TARGET_P99_MS = 25;
/** Issue 17's targets. */
const TARGET_RUNS_PER_SECOND = 100;
const TARGET_RUN_P50_MS: Record<Transport, number> = { embedded: 60, nats: 40, processes: 40 };
const TARGET_EXECUTOR_P50_MS = 5;
/**
 * `BENCH_ORCH_COUNT_STATEMENTS=1`: count this process's Postgres round trips (grouped by
 * statement) and its CPU per step over the sequential runs and over the burst.
 */
const counter: StatementCounter | undefined = process.env.BENCH_ORCH_COUNT_STATEMENTS === '1' ? installStatementCounter() : undefined;

interface TransportResult {
  readonly sequential: Gaps;
  readonly load: Gaps;
  readonly runsPerSecond: number;
  readonly runMs: number[];
  readonly handoff: number[];
  /** BURST_RUNS created at once: runs completed per second, first create → last run_complete. */
  readonly burstPerSecond: number;
  readonly burst: Gaps;
  /** The bus-only chains: one at a time (ms each) and BURST_RUNS at once (per second). */
  readonly chainMs: number[];
  readonly chainBurstPerSecond: number;
  /** CPU time of this process (the runs and agents services, the bench's subscriber) per step of the burst. */
  readonly burstCpuPerStepMs: number;
  /** The same window from /proc: Postgres's processes, nats-server, and the whole machine, per step (Linux only). */
  readonly burstMachine: MachinePerStep | undefined;
  /** The same for the sequential runs: what a step costs when nothing else is running. */
  readonly sequentialMachine: MachinePerStep | undefined;
  /** `processes`: each service's process per step of the burst (from /proc). */
  readonly burstServices: ReadonlyMap<string, number>;
  /** With the statement counter: its tables (sequential runs, burst). */
  readonly statements: readonly string[];
}

/** CPU per step from /proc, ms: Postgres's processes, nats-server, and the whole machine. */
interface MachinePerStep {
  readonly postgresMs: number;
  readonly natsMs: number;
  readonly machineMs: number;
}

function machinePerStep(machine: ReturnType<typeof cpuBetween>, steps: number): MachinePerStep | undefined {
  if (machine === undefined) return undefined;
  return { postgresMs: machine.commandMs('postgres') / steps, natsMs: machine.commandMs('nats-server') / steps, machineMs: machine.machineBusyMs / steps };
}

async function measureTransport(transport: Transport): Promise<TransportResult> {
  const stack = await startStack(transport, LOAD_IN_FLIGHT);
  // The counter sees this process's statements: none when the services run in their own.
  const counting = transport === 'processes' ? undefined : counter;
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
    const handoff = await measureHandoff(stack);
    await measureChains(stack, 10, false, LOAD_IN_FLIGHT); // warm-up
    const chainMs = (await measureChains(stack, 30, false, LOAD_IN_FLIGHT)).ms;
    const chainBurstPerSecond = (await measureChains(stack, BURST_RUNS, true, LOAD_IN_FLIGHT)).perSecond;
    for (let i = 0; i < 5; i++) await oneRun(i); // warm-up
    // One run at a time: the overhead of each hand-off, without queueing behind other runs.
    const sequential = emptyGaps();
    const runMs: number[] = [];
    const statements: string[] = [];
    counting?.start();
    const sequentialBefore = readCpu();
    for (let i = 0; i < SEQUENTIAL_RUNS; i++) {
      const t0 = performance.now();
      const id = await oneRun(i);
      runMs.push(performance.now() - t0);
      gapsOf(byRun.get(id) ?? [], sequential);
    }
    // The relays and projections of the last run are counted: they settle within its last step.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const sequentialMachine = machinePerStep(cpuBetween(sequentialBefore, readCpu()), Math.max(1, SEQUENTIAL_RUNS * 3));
    // The relays and projections of the last run settle before the window closes.
    if (counting) {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      statements.push(...statementsPerStep(`${SEQUENTIAL_RUNS} sequential runs (${transport})`, counting.stop(), SEQUENTIAL_RUNS * 3));
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
    // Issue 17's scenario: BURST_RUNS created at once, the executor taking 32 at a time.
    const burst = emptyGaps();
    const burstBegan = performance.now();
    const cpuBefore = process.cpuUsage();
    const machineBefore = readCpu();
    if (BURST_RUNS > 0) counting?.start();
    const burstIds = await Promise.all(Array.from({ length: BURST_RUNS }, (_, i) => oneRun(100_000 + i)));
    const burstPerSecond = BURST_RUNS / ((performance.now() - burstBegan) / 1000);
    const cpu = process.cpuUsage(cpuBefore);
    const machine = cpuBetween(machineBefore, readCpu());
    const steps = Math.max(1, BURST_RUNS * 3);
    const burstMachine = machinePerStep(machine, steps);
    if (counting && BURST_RUNS > 0) {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      statements.push(...statementsPerStep(`burst of ${BURST_RUNS} runs (${transport})`, counting.stop(), BURST_RUNS * 3));
    }
    const burstCpuPerStepMs = (cpu.user + cpu.system) / 1000 / steps;
    const burstServices = new Map([...stack.pids].map(([service, pid]) => [service, (machine?.pidMs(pid) ?? 0) / steps]));
    for (const id of burstIds) gapsOf(byRun.get(id) ?? [], burst);
    return {
      sequential, load, runsPerSecond, runMs, handoff, burstPerSecond, burst, chainMs, chainBurstPerSecond, burstCpuPerStepMs, burstMachine, sequentialMachine, burstServices, statements,
    };
  } finally {
    await subscription.stop();
    await stack.stop();
  }
}

/** The node processes of the burst: the services' one, or each service's and the bench's. */
function processesOf(result: TransportResult): string {
  if (result.burstServices.size === 0) return `services' process ${fmt(result.burstCpuPerStepMs)} ms`;
  return [...result.burstServices].map(([service, ms]) => `${service} process ${fmt(ms)} ms`).join(', ') + `, the bench's client ${fmt(result.burstCpuPerStepMs)} ms`;
}

/**
 * The burst's CPU per step by process (from /proc) and what it allows: at W ms of the machine's
 * CPU a step, its cores complete at most cores × 1000 / W steps a second, whatever the code waits on.
 */
function machineLine(result: TransportResult): string[] {
  const m = result.burstMachine;
  if (m === undefined) return [];
  const cores = cpus().length;
  const ceiling = (cores * 1000) / m.machineMs / 3;
  const alone = result.sequentialMachine;
  return [
    '',
    ...(alone === undefined ? [] : [
      `CPU per step of the sequential runs (one at a time), from /proc: Postgres ${fmt(alone.postgresMs)} ms, nats-server ${fmt(alone.natsMs)} ms; ` +
        `the whole machine ${fmt(alone.machineMs)} ms.`,
      '',
    ]),
    `CPU per step in that burst, from /proc: ${processesOf(result)}, Postgres ${fmt(m.postgresMs)} ms, nats-server ${fmt(m.natsMs)} ms; ` +
      `the whole machine (every process) ${fmt(m.machineMs)} ms. At that cost ${cores} cores complete at most **${fmt(ceiling, 1)} runs/s** (3 steps each) — ` +
      `100 runs/s needs ≤ ${fmt((cores * 1000) / 300)} ms of the machine per step.`,
  ];
}

const row = (name: string, samples: readonly number[], baseline: readonly number[] | undefined, target = true): string => {
  const p50 = percentile(samples, 50);
  const p99 = percentile(samples, 99);
  const verdict = target ? (p50 < TARGET_P50_MS && p99 < TARGET_P99_MS ? 'met' : 'missed') : '–';
  const vs = baseline === undefined ? '–' : `${ratio(p50, percentile(baseline, 50))} / ${ratio(p99, percentile(baseline, 99))}`;
  return `| ${name} | ${samples.length} | ${fmt(p50)} | ${fmt(p99)} | ${fmt(Math.max(...samples))} | ${vs} | ${verdict} |`;
};

/** Orchestration overhead per step and runs per second of the 3-step demo on the dry-run model. */
export async function run(): Promise<BenchResult> {
  const lines: string[] = [
    '## Orchestration overhead (runs + agents, dry-run model)',
    '',
    `Built-in \`demo\` pipeline (3 steps, \`dry-run/echo\`, zero model latency). Targets: per-step overhead p50 < ${TARGET_P50_MS} ms, p99 < ${TARGET_P99_MS} ms.`,
    `"Sequential": ${SEQUENTIAL_RUNS} runs one after another. "Load": ${LOAD_RUNS} runs, ${LOAD_IN_FLIGHT} in flight, executor concurrency ${LOAD_IN_FLIGHT}. "Burst": ${BURST_RUNS} runs created at once.`,
    `Baselines of the whole-run figures, same run, same bus: "bus-only chains" — per step a job enqueued, taken by a worker (${LOAD_IN_FLIGHT} at a time), two request/replies (started, completed), the next step's job enqueued; nothing durable.`,
    `Issue 17 targets: ≥ ${TARGET_RUNS_PER_SECOND} runs/s with ${BURST_RUNS} created at once; one run p50 ≤ ${TARGET_RUN_P50_MS.nats} ms on NATS, ≤ ${TARGET_RUN_P50_MS.embedded} ms embedded; executor step_started → step_complete p50 ≤ ${TARGET_EXECUTOR_P50_MS} ms.`,
    'Times in ms between events as received on a bus subscription (receipt), and by the events\' occurredAt (runs service clock, 1 ms resolution).',
    'The targets are judged on the sequential rows (the overhead itself); under load, queueing behind other runs adds to it.',
    '`step_complete → next step_queued` is decided in one append (the same occurredAt), so by receipt it is only the gap between two publishes of one batch.',
    `Baseline, measured in the same run on the same bus: ${HANDOFF_SAMPLES} jobs, one at a time, each enqueued, taken by a worker on another connection that sends one request and awaits the reply — the hand-off with nothing durable in it.`,
    '',
  ];
  const headlines: Headline[] = [];
  const transports = (['embedded', 'nats', 'processes'] as const).filter((t) => (process.env.BENCH_ORCH_TRANSPORTS ?? 'embedded,nats,processes').split(',').includes(t));
  for (const transport of transports) {
    const result = await measureTransport(transport);
    const name = TRANSPORT_NAMES[transport];
    const samples = result.sequential.queuedToStarted;
    const runP50 = percentile(result.runMs, 50);
    const chainP50 = percentile(result.chainMs, 50);
    const executorP50 = percentile(result.sequential.startedToComplete, 50);
    const [p50, p99] = [percentile(samples, 50), percentile(samples, 99)];
    const [b50, b99] = [percentile(result.handoff, 50), percentile(result.handoff, 99)];
    headlines.push(
      {
        figure: `orchestration step_queued → step_started p50 (${name})`, value: `${fmt(p50)} ms`, baseline: `${fmt(b50)} ms bus-only hand-off`,
        ratio: ratio(p50, b50), target: `< ${TARGET_P50_MS} ms`, verdict: verdict(p50 < TARGET_P50_MS),
      },
      {
        figure: `orchestration step_queued → step_started p99 (${name})`, value: `${fmt(p99)} ms`, baseline: `${fmt(b99)} ms bus-only hand-off`,
        ratio: ratio(p99, b99), target: `< ${TARGET_P99_MS} ms`, verdict: verdict(p99 < TARGET_P99_MS),
      },
      {
        figure: `orchestration step_complete → next step_queued p99 (${name})`, value: `${fmt(percentile(result.sequential.completeToQueued, 99))} ms`,
        baseline: '–', ratio: '–', target: `< ${TARGET_P99_MS} ms`, verdict: verdict(percentile(result.sequential.completeToQueued, 99) < TARGET_P99_MS),
      },
      {
        figure: `3-step demo runs completed per second, ${BURST_RUNS} created at once (${name})`, value: `${fmt(result.burstPerSecond, 1)} runs/s`,
        baseline: `${fmt(result.chainBurstPerSecond, 1)} runs/s bus-only chains`, ratio: ratio(result.burstPerSecond, result.chainBurstPerSecond),
        target: `≥ ${TARGET_RUNS_PER_SECOND} runs/s`, verdict: verdict(result.burstPerSecond >= TARGET_RUNS_PER_SECOND),
      },
      {
        figure: `one 3-step run, created → run_complete p50 (${name})`, value: `${fmt(runP50)} ms`,
        baseline: `${fmt(chainP50)} ms bus-only chain`, ratio: ratio(runP50, chainP50),
        target: `≤ ${TARGET_RUN_P50_MS[transport]} ms`, verdict: verdict(runP50 <= TARGET_RUN_P50_MS[transport]),
      },
      {
        figure: `executor step_started → step_complete p50, zero-latency model (${name})`, value: `${fmt(executorP50)} ms`,
        baseline: `${fmt(b50)} ms bus-only hand-off`, ratio: ratio(executorP50, b50),
        target: `≤ ${TARGET_EXECUTOR_P50_MS} ms`, verdict: verdict(executorP50 <= TARGET_EXECUTOR_P50_MS),
      },
      {
        figure: `3-step demo runs completed per second, ${LOAD_IN_FLIGHT} in flight (${name})`, value: `${fmt(result.runsPerSecond, 1)} runs/s`,
        baseline: '–', ratio: '–', target: '–', verdict: '–',
      },
    );
    lines.push(
      `### ${{ embedded: 'Embedded (Postgres bus)', nats: 'NATS', processes: 'NATS, the runs and agents services each in a process of its own (as deployed)' }[transport]}`,
      '',
      `Runs completed per second, ${BURST_RUNS} created at once: **${fmt(result.burstPerSecond, 1)}** (bus-only chains, same run: ${fmt(result.chainBurstPerSecond, 1)}/s); CPU per step of ${processesOf(result)} (Postgres and nats-server not counted). ${LOAD_RUNS} runs with ${LOAD_IN_FLIGHT} in flight: **${fmt(result.runsPerSecond, 1)}**/s (3 steps each).`,
      ...machineLine(result),
      `One run alone, created → run_complete: p50 ${fmt(runP50)} ms, p99 ${fmt(percentile(result.runMs, 99))} ms (bus-only chain of its hops: p50 ${fmt(chainP50)} ms, p99 ${fmt(percentile(result.chainMs, 99))} ms).`,
      '',
      '| hand-off | samples | p50 ms | p99 ms | max ms | vs baseline (p50 / p99) | target |',
      '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
      row('baseline: bus only — enqueue → worker takes it → one request/reply', result.handoff, undefined, false),
      row('sequential: step_queued → step_started (receipt)', result.sequential.queuedToStarted, result.handoff),
      row('sequential: step_queued → step_started (occurredAt)', result.sequential.queuedToStartedClock, result.handoff),
      row('sequential: step_complete → next step_queued (receipt)', result.sequential.completeToQueued, undefined),
      row('sequential: step_complete → next step_queued (occurredAt)', result.sequential.completeToQueuedClock, undefined),
      row('sequential: step_started → step_complete (dry-run executor, for scale)', result.sequential.startedToComplete, undefined, false),
      row('sequential: step_started → step_complete (occurredAt)', result.sequential.startedToCompleteClock, undefined, false),
      row('load: step_queued → step_started (receipt, queueing included)', result.load.queuedToStarted, result.handoff, false),
      row('load: step_complete → next step_queued (receipt)', result.load.completeToQueued, undefined, false),
      row('load: step_started → step_complete (dry-run executor, for scale)', result.load.startedToComplete, undefined, false),
      row(`burst of ${BURST_RUNS}: step_queued → step_started (receipt, queueing included)`, result.burst.queuedToStarted, result.handoff, false),
      row(`burst of ${BURST_RUNS}: step_started → step_complete`, result.burst.startedToComplete, undefined, false),
      '',
      ...result.statements,
    );
  }
  return { section: lines.join('\n'), headlines };
}

if (require.main === module) runAlone(run);
