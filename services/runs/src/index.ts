import { LRUCache } from 'lru-cache';
import { v7 as uuidv7 } from 'uuid';
import { createEventStore, outboxBacklog, startOutboxRelay } from '@cadre/eventstore';
import { STEP_QUEUE, createEventRegistry } from '@cadre/proto';
import { createServiceMetrics, eventStoreMetrics, startService, watchQueueDepth, type Service, type ServiceDeps } from '@cadre/runtime';
import type { RunsConfig } from './config';
import type { RunsContext } from './context';
import { pipelineHandlers } from './handlers/pipelines';
import { reportHandlers } from './handlers/reports';
import { runHandlers } from './handlers/runs';
import { startDispatcher, startViewFollower } from './orchestration/dispatcher';
import { startTimeoutSweeper } from './orchestration/sweeper';
import { createPipelineRegistry } from './pipelines/registry';
import { migrateRunsTables } from './storage/migrations';

export { loadRunsConfig, runsConfigShape, type RunsConfig } from './config';
export { decideRun, type RunCommand, type RunDecision } from './run/decide';
export { evolve, foldRun, initialRunState, type RunState } from './run/state';

/** Sources of time and ids; tests pass their own. */
export interface RunsOptions {
  readonly clock?: () => Date;
  readonly newId?: () => string;
}

const VERSION = '0.1.0';

/**
 * Starts the runs service: its event store and tables, the pipeline registry, the handlers
 * of every `runs.*` and `pipelines.*` command and query (executor reports included), the
 * outbox relay, and the orchestrator's parts (dispatcher of queued steps, read-model follower,
 * timeout sweeper). Any number of replicas may run on one database and bus.
 */
export async function startRuns(deps: ServiceDeps, config: RunsConfig, options: RunsOptions = {}): Promise<Service> {
  const clock = options.clock ?? (() => new Date());
  const schema = config.RUNS_SCHEMA;
  const { logger, pool, bus } = deps;
  // Metrics first, so the store counts its appends on the service's registry.
  const metrics = createServiceMetrics('runs', deps.instance);
  const storeMetrics = eventStoreMetrics(metrics.registry);
  const store = await createEventStore({ pool, schema, registry: createEventRegistry(), clock, onAppended: storeMetrics.onAppended });
  await migrateRunsTables(pool, schema);
  const pipelines = await createPipelineRegistry({ pool, schema, dir: config.CADRE_PIPELINES_DIR, logger });
  const ctx: RunsContext = {
    bus, pool, schema, store, pipelines, logger, clock, newId: options.newId ?? (() => uuidv7()), runPipelines: new LRUCache({ max: 50_000 }),
    syncedViews: new LRUCache({ max: 50_000 }),
  };

  const service = await startService({
    name: 'runs', version: VERSION, instance: deps.instance, bus, logger,
    ...(deps.probePort !== undefined ? { probePort: deps.probePort } : {}),
    checks: { database: async () => (await pool.query('select 1')).rowCount === 1 },
    metrics,
  });
  const relay = startOutboxRelay({ store, bus, logger, onCounter: storeMetrics.onRelayCounter });
  storeMetrics.watchBacklog(() => outboxBacklog(store));
  // The step queue is filled by this service's dispatcher: its depth is reported here.
  watchQueueDepth(metrics.registry, bus.workQueue(STEP_QUEUE));
  // Stopped before the bus drains: the relay publishes on it, the consumers read from it.
  service.track({ stop: () => relay.stop(), closed: new Promise(() => undefined) });
  service.track(await startDispatcher(ctx));
  service.track(await startViewFollower(ctx));
  service.track(startTimeoutSweeper(ctx, config.RUNS_SWEEP_INTERVAL_MS));
  service.onShutdown(() => store.close());

  await service.handle(Object.fromEntries([...runHandlers(ctx), ...reportHandlers(ctx), ...pipelineHandlers(ctx)]), 'Pipelines, runs and steps');
  logger.info({ schema, pipelines: (await pipelines.list()).length }, 'runs started');
  return service;
}
