/** Percentile of a list of samples (nearest rank). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Runs `op` with `inFlight` concurrent loops for `total` operations; latencies in ms. */
export async function measure(op: () => Promise<unknown>, total: number, inFlight: number): Promise<{ perSecond: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let started = 0;
  const begin = process.hrtime.bigint();
  const loop = async (): Promise<void> => {
    while (started < total) {
      started++;
      const t0 = process.hrtime.bigint();
      await op();
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
  return { perSecond: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/**
 * Runs several operations in turn, one sample of each per round, and answers each one's
 * latencies: on a machine whose load changes while the bench runs, a figure and its baseline
 * measured in alternation see the same load, where two blocks one after the other would not.
 */
export async function measureInterleaved<K extends string>(ops: Readonly<Record<K, () => Promise<unknown>>>, rounds: number): Promise<Record<K, { p50: number; p99: number }>> {
  const names = Object.keys(ops) as K[];
  const latencies = new Map<K, number[]>(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      const t0 = process.hrtime.bigint();
      await ops[name]();
      latencies.get(name)!.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return Object.fromEntries(names.map((name) => [name, { p50: percentile(latencies.get(name)!, 50), p99: percentile(latencies.get(name)!, 99) }])) as Record<K, { p50: number; p99: number }>;
}

export const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
export const ratio = (value: number, baseline: number): string => (baseline > 0 ? `${(value / baseline).toFixed(2)}×` : '–');

/** One headline figure of a benchmark, for the report's summary table. */
export interface Headline {
  readonly figure: string;
  /** The figure with its unit, e.g. `1.21 ms` or `5,120 events/s`. */
  readonly value: string;
  /** The baseline measured in the same run, with its unit (`–` when the figure has none). */
  readonly baseline: string;
  /** value ÷ baseline, e.g. `1.16×`. */
  readonly ratio: string;
  readonly target: string;
  readonly verdict: 'met' | 'missed' | '–';
}

/** What each benchmark module's `run()` gives the report: its section and its headline figures. */
export interface BenchResult {
  readonly section: string;
  readonly headlines: readonly Headline[];
}

export const verdict = (met: boolean): 'met' | 'missed' => (met ? 'met' : 'missed');

/** Runs one benchmark module on its own (`tsx <file>.bench.ts`): prints its section, exits 0 or 1. */
export function runAlone(run: () => Promise<BenchResult>): void {
  run().then((report) => {
    console.log(report.section);
    process.exit(0);
  }, (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
