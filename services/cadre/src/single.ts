import { loadSharedConfig, type SharedConfig } from '@cadre/config';
import { loadGatewayConfig, startGateway } from '@cadre/gateway';
import { findService, gatewayView, startDefinedService, type ServiceRegistry } from '@cadre/kit';
import { createLogger, instanceId } from '@cadre/logging';
import { createPool, poolPart, type Service } from '@cadre/runtime';
import { connectBus } from './deps';

/** Names the single-service entry point takes besides the registry's: the gateway. */
export const SERVICE_NAMES = (registry: ServiceRegistry): readonly string[] => ['gateway', ...registry.map((service) => service.name)];

/**
 * One service in this process, as a container runs it (distributed mode): the gateway or a
 * service of the registry, on DATABASE_URL and NATS_URL (the embedded bus on DATABASE_URL when
 * NATS_URL is unset). Returns the running service; the caller wires signals.
 */
export async function runService(name: string, registry: ServiceRegistry, env: Readonly<Record<string, string | undefined>> = process.env): Promise<Service> {
  const shared: SharedConfig = loadSharedConfig(env);
  const definition = findService(registry, name);
  if (definition === undefined && name !== 'gateway') {
    throw new Error(`unknown service '${name}' (${SERVICE_NAMES(registry).join(', ')}; or cadre for all in one)`);
  }
  // Parsed before anything connects, so a bad variable fails fast with its name.
  const config = definition ? definition.config.load(env) : undefined;
  const gatewayConfig = definition ? undefined : loadGatewayConfig(env);
  if (!shared.DATABASE_URL) throw new Error(`DATABASE_URL: required when ${name} runs on its own (embedded mode starts every service together)`);
  if (name === 'gateway' && !shared.NATS_URL) throw new Error('NATS_URL: required when the gateway runs on its own');
  const instance = instanceId(name);
  const logger = createLogger({ service: name, instance, level: shared.LOG_LEVEL });
  // The gateway keeps no data: its pool only serves the status page's database check.
  const pool = createPool({ connectionString: shared.DATABASE_URL, max: definition ? 10 : 2 }, (err) => logger.warn({ err }, 'database connection lost'));
  const bus = await connectBus(shared, instance, pool, logger);
  const deps = { bus, pool, logger, instance, ...(shared.METRICS_PORT > 0 ? { probePort: shared.METRICS_PORT } : {}) };
  const service = definition
    ? await startDefinedService(definition, deps, { config })
    : (await startGateway(deps, gatewayConfig!, { services: gatewayView(registry) })).service;
  service.onShutdown(poolPart(pool));
  return service;
}
