import { Pool } from 'pg';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { registry } from '@cadre/cadre';
import { startDefinedService } from '@cadre/kit';
import { silentLogger } from '@cadre/logging';
import type { Service } from '@cadre/runtime';
import { createTestDatabase, startNats, type TestDatabase, type TestNats } from '@cadre/testing';

/**
 * A fresh database, and a nats-server when the bus is NATS, for a benchmark that runs Cadre's
 * services in its own process: each service gets a pool of its own and a bus connection of its own
 * on NATS (the one embedded bus otherwise), as every composition root gives them.
 */
export interface InProcessServices {
  readonly database: TestDatabase;
  /** The nats-server of a NATS bench (undefined when embedded). */
  readonly nats: TestNats | undefined;
  /** A connection named `name` on NATS; the one embedded bus when embedded. */
  connect(name: string): Promise<Bus>;
  /** Starts the registry's services of these names (in the registry's order) in this process. */
  start(names: readonly string[], env: Readonly<Record<string, string>>): Promise<void>;
  /** Stops the services started, then the connections, pools, nats-server and database. */
  stop(): Promise<void>;
}

export async function inProcessServices(databaseName: string, bus: 'embedded' | 'nats'): Promise<InProcessServices> {
  const database = await createTestDatabase(databaseName);
  const nats = bus === 'nats' ? await startNats() : undefined;
  // Embedded, Postgres is reached as `npm start` reaches its own: over its Unix socket. On NATS,
  // over TCP, as a deployment reaches a database on another host.
  const databaseUrl = nats ? database.url : database.localUrl;
  const embedded = nats ? undefined : await createEmbeddedBus({ databaseUrl });
  const buses: Bus[] = embedded ? [embedded] : [];
  const pools: Pool[] = [];
  const services: Service[] = [];
  const connect = async (name: string): Promise<Bus> => {
    if (embedded) return embedded;
    const connection = await connectNatsBus({ servers: nats!.url, name });
    buses.push(connection);
    return connection;
  };
  return {
    database,
    nats,
    connect,
    async start(names, env) {
      for (const definition of registry.filter((service) => names.includes(service.name))) {
        const pool = new Pool({ connectionString: databaseUrl, max: 10 });
        // Dropping the database at the end cuts every connection: expected then, not a failure.
        pool.on('error', () => undefined);
        pools.push(pool);
        const deps = { bus: await connect(definition.name), pool, logger: silentLogger(), instance: `${definition.name}-bench` };
        services.push(await startDefinedService(definition, deps, { env: { ...env } }));
      }
    },
    async stop() {
      for (const service of services.reverse()) await service.shutdown('bench over');
      await Promise.allSettled(buses.map((connection) => connection.drain()));
      await Promise.allSettled(pools.map((pool) => pool.end()));
      await nats?.dispose();
      await database.dispose();
    },
  };
}
