import { Pool } from 'pg';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { silentLogger } from '@cadre/logging';
import { startDefinedService } from '@cadre/kit';
import type { Service } from '@cadre/runtime';
import { createTestDatabase, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import { registry } from '@cadre/cadre';
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
  const database: TestDatabase = await createTestDatabase('cadre_bench_runs');
  const nats: TestNats | undefined = transport !== 'embedded' ? await startNats() : undefined;
  // Embedded, Postgres is reached as `npm start` reaches its own: over its Unix socket. On NATS,
  // over TCP, as a deployment reaches a database on another host.
  const databaseUrl = nats ? database.url : database.localUrl;
  const embedded = nats ? undefined : await createEmbeddedBus({ databaseUrl });
  const buses: Bus[] = embedded ? [embedded] : [];
  const pools: Pool[] = [];
  const connect = async (name: string): Promise<Bus> => {
    if (embedded) return embedded;
    const bus = await connectNatsBus({ servers: nats!.url, name });
    buses.push(bus);
    return bus;
  };
  const deps = async (name: string) => {
    const pool = new Pool({ connectionString: databaseUrl, max: 10 });
    // Dropping the database at the end cuts every connection: expected then, not a failure.
    pool.on('error', () => undefined);
    pools.push(pool);
    return { bus: await connect(name), pool, logger: silentLogger(), instance: `${name}-bench` };
  };
  // The orchestration services of the registry, as every composition root starts them.
  const env = { CADRE_SECRET_KEY: 'a bench key that is long enough to be used', AGENTS_CONCURRENCY: String(executorConcurrency) };
  const services: Service[] = [];
  // As a deployment runs them: `main.ts runs` and `main.ts agents`, configured by env only.
  const fleet = transport === 'processes' ? new Fleet({ ...env, DATABASE_URL: database.url, NATS_URL: nats!.url, LOG_LEVEL: 'warn' }) : undefined;
  if (fleet) {
    await fleet.startWaves([['runs'], ['agents']]);
  } else {
    for (const definition of registry.filter((service) => ['runs', 'agents'].includes(service.name))) {
      services.push(await startDefinedService(definition, await deps(definition.name), { env }));
    }
  }
  const client = await connect('bench');
  const worker = await connect('bench-worker');
  return {
    client,
    worker,
    pids: new Map((fleet?.all() ?? []).map((replica) => [replica.service, replica.child.pid ?? 0])),
    async stop() {
      await fleet?.stop();
      for (const service of services.reverse()) await service.shutdown('bench over');
      await Promise.allSettled(buses.map((bus) => bus.drain()));
      await Promise.allSettled(pools.map((pool) => pool.end()));
      await nats?.dispose();
      await database.dispose();
    },
  };
}
