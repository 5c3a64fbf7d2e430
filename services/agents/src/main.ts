import { createPool } from '@cadre/runtime';
// Composition root of the agents service when it runs as its own process (distributed mode).
import { connectNatsBus, createEmbeddedBus } from '@cadre/bus';
import { loadSharedConfig } from '@cadre/config';
import { createLogger, instanceId } from '@cadre/logging';
import { shutdownOnSignals } from '@cadre/runtime';
import { loadAgentsConfig } from './config';
import { startAgents } from './index';

async function main(): Promise<void> {
  const shared = loadSharedConfig();
  const config = loadAgentsConfig();
  const instance = instanceId('agents');
  const logger = createLogger({ service: 'agents', instance, level: shared.LOG_LEVEL });
  if (!shared.DATABASE_URL) throw new Error('DATABASE_URL: required when agents runs on its own (embedded mode starts every service together)');
  const pool = createPool({ connectionString: shared.DATABASE_URL });
  pool.on('error', (err) => logger.warn({ err }, 'idle database connection lost'));
  const bus = shared.NATS_URL
    ? await connectNatsBus({ servers: shared.NATS_URL.split(','), name: instance, logger })
    : await createEmbeddedBus({ pool, logger });
  const service = await startAgents({ bus, pool, logger, instance, ...(shared.METRICS_PORT > 0 ? { probePort: shared.METRICS_PORT } : {}) }, config);
  service.onShutdown(() => pool.end());
  shutdownOnSignals(service);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
