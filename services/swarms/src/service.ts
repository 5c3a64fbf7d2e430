import { LRUCache } from 'lru-cache';
import { BACKSTOP_LINGER_MS, defineService, packageVersion, startProjection, type ServiceKit } from '@cadre/kit';
import { swarmRoutes } from '@cadre/proto';
import { loadSwarmsConfig, swarmsConfigShape, type SwarmsConfig } from './config';
import type { SwarmsContext } from './context';
import { spawnHandlers } from './handlers/spawn';
import { swarmHandlers } from './handlers/swarms';
import { planHandlers } from './plan/plan';
import type { SwarmsDatabase } from './storage/database';
import { swarmsMigrations } from './storage/migrations';
import { swarmViewsProjection } from './view/projection';
import { startRunResults } from './workers/run-results';
import { startTaskDispatch } from './workers/dispatch';
import { startSweeper } from './workers/sweeper';

/**
 * Swarms: DAGs of agent tasks, each task a spawned one-step run of the runs service; the spawn
 * executor; plan then execute. A swarm is an event-sourced aggregate that counts its own slots,
 * so any number of replicas may run on one database and bus and `max_concurrent` still holds.
 */
export const swarmsService = defineService({
  name: 'swarms',
  description: 'Swarms of agent tasks, the spawn executor, plan then execute',
  version: packageVersion(__dirname),
  config: { shape: swarmsConfigShape, load: loadSwarmsConfig },
  schema: (config) => config.SWARMS_SCHEMA,
  events: [{ name: 'swarms', visibility: 'owner' }],
  migrations: swarmsMigrations,
  routes: swarmRoutes,
  context(kit: ServiceKit<SwarmsConfig, SwarmsDatabase>): SwarmsContext {
    const { bus, pool, db, schema, store, logger, clock, config } = kit;
    return {
      bus, pool, db, schema, store, logger, clock, config, newId: kit.newId, random: Math.random, timers: new Map(),
      writtenViews: new LRUCache({ max: 10_000 }), states: new LRUCache({ max: 1_000 }),
    };
  },
  workers: async (ctx) => [
    // A backstop: the replica that appends writes the swarm's row with its events.
    await startProjection(ctx, swarmViewsProjection(ctx), { lingerMs: BACKSTOP_LINGER_MS }),
    ...(await startRunResults(ctx)),
    ...(await startTaskDispatch(ctx)),
    startSweeper(ctx),
  ],
  endpoints: (ctx) => [...swarmHandlers(ctx), ...spawnHandlers(ctx), ...planHandlers(ctx)],
});
