import { createPool } from '@cadre/runtime';
import { connectNatsBus } from '@cadre/bus';
import type { SharedConfig } from '@cadre/config';
import { createLogger, instanceId } from '@cadre/logging';
import { shutdownOnSignals } from '@cadre/runtime';
import { loadGatewayConfig, startGateway } from './index';

/** Composition root of a distributed gateway replica (embedded mode starts it from the all-in-one root). */
export async function runReplica(shared: SharedConfig): Promise<void> {
  const config = loadGatewayConfig();
  if (!shared.NATS_URL || !shared.DATABASE_URL) throw new Error('a gateway replica needs NATS_URL and DATABASE_URL');
  const instance = instanceId('gateway');
  const logger = createLogger({ service: 'gateway', instance, level: shared.LOG_LEVEL });
  const bus = await connectNatsBus({ servers: shared.NATS_URL.split(','), name: instance, logger });
  // Only for the status page's database check: the gateway keeps no data of its own.
  const pool = createPool({ connectionString: shared.DATABASE_URL, max: 2 });
  const gateway = await startGateway({ bus, pool, logger, instance, probePort: shared.METRICS_PORT || undefined }, config);
  gateway.service.onShutdown(() => pool.end());
  shutdownOnSignals(gateway.service);
}
