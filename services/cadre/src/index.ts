import { createPool } from '@cadre/runtime';
import { resolve } from 'node:path';
import pino from 'pino';
import { loadAgentsConfig, startAgents } from '@cadre/agents';
import { connectNatsBus, createEmbeddedBus, type Bus } from '@cadre/bus';
import { loadSharedConfig } from '@cadre/config';
import { loadGatewayConfig, startGateway, type Gateway } from '@cadre/gateway';
import { loadIdentityConfig, startIdentity } from '@cadre/identity';
import { createLogger, type Logger } from '@cadre/logging';
import { loadRunsConfig, startRuns } from '@cadre/runs';
import type { Service, ServiceDeps } from '@cadre/runtime';
import { openPostgres, type CadrePostgres } from './postgres';

export { startBanner } from './banner';

type Env = Readonly<Record<string, string | undefined>>;

/** Cadre running in this process. */
export interface Cadre {
  /** `http://host:port` of the gateway. */
  readonly url: string;
  readonly port: number;
  readonly gateway: Gateway;
  readonly services: Readonly<Record<'identity' | 'runs' | 'agents', Service>>;
  readonly database: { readonly url: string; readonly embedded: boolean };
  readonly bus: 'embedded' | 'nats';
  /** Absolute CADRE_DATA_DIR (where the embedded Postgres keeps its cluster). */
  readonly dataDir: string;
  readonly logger: Logger;
  /** Stops taking requests, then each service in reverse order, the buses, the pool and the embedded Postgres. */
  stop(reason?: string): Promise<void>;
}

const DOMAINS = ['identity', 'runs', 'agents'] as const;

/**
 * The all-in-one composition root (embedded mode): Postgres from DATABASE_URL or an embedded
 * server with its data in `${CADRE_DATA_DIR}/postgres`, the bus from NATS_URL or the embedded
 * one (its durable parts in the same Postgres), then identity, runs, agents and the gateway on
 * PORT. Every service gets a bus of its own (one NATS connection, or one embedded bus handle
 * on the shared pool), as separate processes would have, so each drains only its own work.
 */
export async function startCadre(env: Env = process.env): Promise<Cadre> {
  const shared = loadSharedConfig(env);
  // Parsed before anything starts, so a bad variable fails fast with its name.
  const configs = {
    identity: loadIdentityConfig(env),
    runs: loadRunsConfig(env),
    agents: loadAgentsConfig(env),
    gateway: loadGatewayConfig(env),
  };
  const destination = pino.destination({ sync: false });
  const instance = `cadre-${process.pid}`;
  const loggerFor = (service: string): Logger => createLogger({ service, instance, level: shared.LOG_LEVEL, destination });
  const logger = loggerFor('cadre');
  const dataDir = resolve(shared.CADRE_DATA_DIR);

  const cleanups: Array<() => Promise<void>> = [];
  const runCleanups = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((err: unknown) => logger.error({ err }, 'cleanup failed'));
  };
  const started: Array<{ name: string; service: Service }> = [];
  let stopping: Promise<void> | undefined;
  const stopServices = async (reason: string): Promise<void> => {
    // The gateway was started last: it stops taking requests first.
    for (const { name, service } of started.splice(0).reverse()) {
      await service.shutdown(reason).catch((err: unknown) => logger.error({ err, service: name }, 'shutdown failed'));
    }
  };

  try {
    const postgres: CadrePostgres = await openPostgres(shared.DATABASE_URL, dataDir, logger);
    cleanups.push(() => postgres.close());
    const pool = createPool({ connectionString: postgres.url, max: 20 });
    // While stopping, an idle connection may be ended before the pool ends it: expected then.
    pool.on('error', (err) => (stopping ? logger.debug({ err }, 'idle database connection closed') : logger.warn({ err }, 'idle database connection lost')));
    cleanups.push(() => pool.end());

    const buses: Bus[] = [];
    cleanups.push(async () => void (await Promise.allSettled(buses.map((bus) => bus.drain()))));
    const depsFor = async (name: string, probePort?: number): Promise<ServiceDeps> => {
      const serviceLogger = loggerFor(name);
      const bus = shared.NATS_URL
        ? await connectNatsBus({ servers: shared.NATS_URL.split(','), name: `${name}-${instance}`, logger: serviceLogger })
        : await createEmbeddedBus({ pool, logger: serviceLogger });
      buses.push(bus);
      return { bus, pool, logger: serviceLogger, instance: `${name}-${instance}`, ...(probePort !== undefined ? { probePort } : {}) };
    };

    const services = {
      identity: await startIdentity(await depsFor('identity'), configs.identity),
      runs: await startRuns(await depsFor('runs'), configs.runs),
      agents: await startAgents(await depsFor('agents'), configs.agents),
    };
    for (const name of DOMAINS) started.push({ name, service: services[name] });
    // One probe and metrics server for the process (METRICS_PORT), on the gateway.
    const gateway = await startGateway(await depsFor('gateway', shared.METRICS_PORT > 0 ? shared.METRICS_PORT : undefined), configs.gateway);
    started.push({ name: 'gateway', service: gateway.service });
    // Every service keeps its own registry (same metric names, its own `service` label); the
    // gateway's probe server serves them all as one exposition.
    for (const name of DOMAINS) gateway.service.exposeMetrics(services[name].metrics.registry);

    return {
      url: gateway.url,
      port: gateway.port,
      gateway,
      services,
      database: { url: postgres.url, embedded: postgres.embedded },
      bus: shared.NATS_URL ? 'nats' : 'embedded',
      dataDir,
      logger,
      stop: (reason = 'stop') => (stopping ??= (async () => {
        await stopServices(reason);
        await runCleanups();
        logger.info('cadre stopped');
        logger.flush();
      })()),
    };
  } catch (error) {
    await stopServices('start failed');
    await runCleanups();
    throw error;
  }
}
