import type { Bus } from '@cadre/bus';
import { inProcessServices } from '../../../bench/in-process';
import { Fleet } from '../../../tests/support/fleet';

// The services the orchestration bench measures, on the transport of each of its sections.

export interface Stack {
  readonly client: Bus;
  /** A second connection (NATS), playing the executor in the baseline. */
  readonly worker: Bus;
  /** The services' own processes, by service (`processes` only). */
  readonly pids: ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

/** Where the services run: this process on either bus, or a process each on NATS (as deployed). */
export type Transport = 'embedded' | 'nats' | 'processes';
export const TRANSPORT_NAMES: Record<Transport, string> = { embedded: 'embedded', nats: 'NATS', processes: 'NATS, a process per service' };

export async function startStack(transport: Transport, executorConcurrency: number): Promise<Stack> {
  const local = await inProcessServices('cadre_bench_runs', transport === 'embedded' ? 'embedded' : 'nats');
  // The orchestration services of the registry, as every composition root starts them.
  const env = { CADRE_SECRET_KEY: 'a bench key that is long enough to be used', AGENTS_CONCURRENCY: String(executorConcurrency) };
  // As a deployment runs them: `main.ts runs` and `main.ts agents`, configured by env only.
  const fleet = transport === 'processes' ? new Fleet({ ...env, DATABASE_URL: local.database.url, NATS_URL: local.nats!.url, LOG_LEVEL: 'warn' }) : undefined;
  if (fleet) await fleet.startWaves([['runs'], ['agents']]);
  else await local.start(['runs', 'agents'], env);
  const client = await local.connect('bench');
  const worker = await local.connect('bench-worker');
  return {
    client,
    worker,
    pids: new Map((fleet?.all() ?? []).map((replica) => [replica.service, replica.child.pid ?? 0])),
    async stop() {
      await fleet?.stop();
      await local.stop();
    },
  };
}
