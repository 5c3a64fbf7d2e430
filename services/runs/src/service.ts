import { LRUCache } from 'lru-cache';
import { BACKSTOP_LINGER_MS, defineService, packageVersion, startProjection, type ServiceKit } from '@cadre/kit';
import { STEP_QUEUE, pipelineRoutes, runRoutes } from '@cadre/proto';
import { watchQueueDepth } from '@cadre/runtime';
import { loadRunsConfig, runsConfigShape, type RunsConfig } from './config';
import type { KnownPipeline, RunsContext } from './context';
import { pipelineHandlers } from './handlers/pipelines';
import { reportHandlers } from './handlers/reports';
import { runHandlers } from './handlers/runs';
import { startDispatcher } from './orchestration/dispatcher';
import { startTimeoutSweeper } from './orchestration/sweeper';
import { createPipelineRegistry } from './pipelines/registry';
import type { RunsDatabase } from './storage/database';
import { runSnapshots } from './run/snapshots';
import { runsMigrations } from './storage/migrations';
import { runViewsProjection } from './view/projection';

/** How much of the runs' own pipelines a replica keeps, measured as their JSON (a few times more in memory). */
const RUN_PIPELINES_MAX_BYTES = 64 * 1024 * 1024;

/** How much of the live runs' states a replica keeps (roughly measured; their pipelines and outputs as JSON). */
const RUN_STATES_MAX_BYTES = 64 * 1024 * 1024;

/** The runs context and the sweep interval its sweeper needs. */
interface RunsRuntime extends RunsContext {
  readonly sweepIntervalMs: number;
}

/**
 * Runs: pipelines, event-sourced runs and steps, and the orchestrator (dispatcher of queued
 * steps, read-model projection, timeout sweeper; the executor's reports arrive as commands).
 * Any number of replicas may run on one database and bus.
 */
export const runsService = defineService({
  name: 'runs',
  description: 'Pipelines, runs and steps',
  version: packageVersion(__dirname),
  config: { shape: runsConfigShape, load: loadRunsConfig },
  schema: (config) => config.RUNS_SCHEMA,
  events: [{ name: 'runs', visibility: 'owner' }],
  migrations: runsMigrations,
  routes: [...pipelineRoutes, ...runRoutes],
  async context(kit: ServiceKit<RunsConfig, RunsDatabase>): Promise<RunsRuntime> {
    const { bus, pool, schema, store, logger, clock, config, db } = kit;
    // The step queue is filled by this service: its depth is reported here.
    watchQueueDepth(kit.metrics.registry, bus.workQueue(STEP_QUEUE));
    return {
      bus, pool, schema, store, logger, clock, newId: kit.newId,
      pipelines: await createPipelineRegistry({ db, dir: config.CADRE_PIPELINES_DIR, logger }),
      // A run's own pipeline is a parsed definition (a few kB, up to 256 KiB): bounded by size too.
      runPipelines: new LRUCache<string, KnownPipeline>({
        max: 50_000, maxSize: RUN_PIPELINES_MAX_BYTES,
        sizeCalculation: (known) => ('own' in known ? JSON.stringify(known.own).length : 0) + 64,
      }),
      runSnapshots: runSnapshots(RUN_STATES_MAX_BYTES),
      syncedViews: new LRUCache({ max: 50_000 }),
      enqueuedSteps: new LRUCache({ max: 50_000 }),
      writingViews: new Map(),
      listPageBytes: config.RUNS_LIST_PAGE_BYTES,
      sweepIntervalMs: config.RUNS_SWEEP_INTERVAL_MS,
    };
  },
  workers: async (ctx) => [
    await startDispatcher(ctx),
    // The durable consumer keeps the name it had before the read models were a projection. The
    // replica that appends writes the rows with its events: the projection only catches up with
    // other writers, so it lets events gather (one claim and one ack statement for several).
    await startProjection(ctx, runViewsProjection(ctx), { durable: 'runs-views', lingerMs: BACKSTOP_LINGER_MS }),
    startTimeoutSweeper(ctx, ctx.sweepIntervalMs),
  ],
  endpoints: (ctx) => [...runHandlers(ctx), ...reportHandlers(ctx), ...pipelineHandlers(ctx)],
  started: async (ctx) => ({ pipelines: (await ctx.pipelines.list()).length }),
});
