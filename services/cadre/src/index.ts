import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import pino from 'pino';
import type { Bus } from '@cadre/bus';
import { loadSharedConfig } from '@cadre/config';
import { loadGatewayConfig, startGateway, type Gateway } from '@cadre/gateway';
import { gatewayView, startDefinedService, type ServiceRegistry } from '@cadre/kit';
import { createLogger, type Logger } from '@cadre/logging';
import { createPool, poolPart, stopInOrder, type Service, type ServiceDeps, type StoppablePart } from '@cadre/runtime';
import { connectBus } from './deps';
import { openPostgres, type CadrePostgres } from './postgres';
import { registry as cadreRegistry } from './registry';

export { startBanner } from './banner';
export { registry } from './registry';
export { runService, SERVICE_NAMES } from './single';

/** What the all-in-one runs besides its environment. */
export interface CadreOptions {
  /** The domain services (default Cadre's registry). */
  readonly registry?: ServiceRegistry;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Cadre running in this process. */
export interface Cadre {
  /** `http://host:port` of the gateway. */
  readonly url: string;
  readonly port: number;
  readonly gateway: Gateway;
  readonly services: Readonly<Record<string, Service>>;
  readonly database: { readonly url: string; readonly embedded: boolean };
  readonly bus: 'embedded' | 'nats';
  /** The address the gateway listens on (HOST, else 127.0.0.1). */
  readonly host: string;
  /** The one-time token the first-admin setup needs, generated when HOST is not a loopback address and SETUP_TOKEN is unset. */
  readonly setupToken?: string;
  /** Absolute CADRE_DATA_DIR (where the embedded Postgres keeps its cluster). */
  readonly dataDir: string;
  readonly logger: Logger;
  /** Stops taking requests, then each service in reverse order, the buses, the pool and the embedded Postgres. */
  stop(reason?: string): Promise<void>;
}

/**
 * The all-in-one composition root (embedded mode): Postgres from DATABASE_URL or an embedded
 * server with its data in `${CADRE_DATA_DIR}/postgres`, the bus from NATS_URL or the embedded
 * one (its durable parts in the same Postgres), then each service of the registry and the gateway on
 * PORT. Every service gets a bus of its own (one NATS connection, or one embedded bus handle
 * on the shared pool), as separate processes would have, so each drains only its own work.
 */
/** True for an address only this machine reaches. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export async function startCadre(env: Env = process.env, options: CadreOptions = {}): Promise<Cadre> {
  const registry = options.registry ?? cadreRegistry;
  // On a laptop the all-in-one answers this machine only, unless HOST opens it. Open to a
  // network, the first-admin setup needs a one-time token printed on the console, so no one
  // else on the network can claim the install first.
  const host = env.HOST ?? '127.0.0.1';
  const setupToken = !isLoopback(host) && env.SETUP_TOKEN === undefined ? randomBytes(18).toString('base64url') : undefined;
  env = { ...env, HOST: host, ...(setupToken !== undefined ? { SETUP_TOKEN: setupToken } : {}) };
  const shared = loadSharedConfig(env);
  // Parsed before anything starts, so a bad variable fails fast with its name.
  const configs = new Map<string, unknown>(registry.map((definition) => [definition.name, definition.config.load(env)]));
  const gatewayConfig = loadGatewayConfig(env);
  const destination = pino.destination({ sync: false });
  const instance = `cadre-${process.pid}`;
  const loggerFor = (service: string): Logger => createLogger({ service, instance, level: shared.LOG_LEVEL, destination });
  const logger = loggerFor('cadre');
  const dataDir = resolve(shared.CADRE_DATA_DIR);

  // What the services share, stopped after them in the reverse of the order they started in.
  const cleanups: StoppablePart[] = [];
  const runCleanups = (): Promise<void> => stopInOrder(cleanups.splice(0).reverse(), logger);
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
    cleanups.push({ name: postgres.embedded ? 'embedded Postgres' : 'database', stop: () => postgres.close() });
    const pool = createPool({ connectionString: postgres.url, max: 20 });
    // While stopping, an idle connection may be ended before the pool ends it: expected then.
    pool.on('error', (err) => (stopping ? logger.debug({ err }, 'idle database connection closed') : logger.warn({ err }, 'idle database connection lost')));
    cleanups.push(poolPart(pool));

    const buses: Bus[] = [];
    cleanups.push({ name: 'bus connections', stop: async () => void (await Promise.allSettled(buses.map((bus) => bus.drain()))) });
    const depsFor = async (name: string, probePort?: number): Promise<ServiceDeps> => {
      const serviceLogger = loggerFor(name);
      const bus = await connectBus(shared, `${name}-${instance}`, pool, serviceLogger);
      buses.push(bus);
      return { bus, pool, logger: serviceLogger, instance: `${name}-${instance}`, ...(probePort !== undefined ? { probePort } : {}) };
    };

    const services: Record<string, Service> = {};
    for (const definition of registry) {
      const service = await startDefinedService(definition, await depsFor(definition.name), { config: configs.get(definition.name) });
      services[definition.name] = service;
      started.push({ name: definition.name, service });
    }
    // One probe and metrics server for the process (METRICS_PORT), on the gateway.
    const gateway = await startGateway(await depsFor('gateway', shared.METRICS_PORT > 0 ? shared.METRICS_PORT : undefined), gatewayConfig, {
      services: gatewayView(registry),
    });
    started.push({ name: 'gateway', service: gateway.service });
    // Every service keeps its own registry (same metric names, its own `service` label); the
    // gateway's probe server serves them all as one exposition.
    for (const service of Object.values(services)) gateway.service.exposeMetrics(service.metrics.registry);

    return {
      url: gateway.url,
      port: gateway.port,
      gateway,
      services,
      database: { url: postgres.url, embedded: postgres.embedded },
      bus: shared.NATS_URL ? 'nats' : 'embedded',
      dataDir,
      host,
      ...(setupToken !== undefined ? { setupToken } : {}),
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
