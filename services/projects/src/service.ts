import { Kysely, PostgresDialect } from 'kysely';
import { LRUCache } from 'lru-cache';
import { Counter } from 'prom-client';
import { BACKSTOP_LINGER_MS, defineService, packageVersion, startProjection, type ServiceKit } from '@cadre/kit';
import { projectRoutes, taskImport } from '@cadre/proto';
import { startClaimSweeper } from './claims/sweeper';
import { loadProjectsConfig, projectsConfigShape, type ProjectsConfig } from './config';
import type { ProjectsContext } from './context';
import { executionHandlers } from './handlers/execution';
import { importHandler } from './handlers/import';
import { projectHandlers } from './handlers/projects';
import { taskHandlers } from './handlers/tasks';
import { startRunFollower } from './runs/follower';
import type { ProjectsDatabase } from './storage/database';
import { projectsMigrations } from './storage/migrations';
import { boardViewsProjection } from './view/projection';

/**
 * Projects: boards of tasks with dependencies (cycles refused), claims (one holder, optional
 * expiry), workflow policies (states, moves, routes to pipelines, automatic moves), tasks started
 * as runs of the runs service and moved by those runs' events, planning imports (once per
 * Idempotency-Key), and swarms of tasks. Any number of replicas may run on one database and bus.
 */
export const projectsService = defineService({
  name: 'projects',
  description: 'Projects, task boards, claims and workflow policies',
  version: packageVersion(__dirname),
  config: { shape: projectsConfigShape, load: loadProjectsConfig },
  schema: (config: ProjectsConfig) => config.PROJECTS_SCHEMA,
  events: [{ name: 'projects', visibility: 'owner' }],
  migrations: projectsMigrations,
  routes: projectRoutes,
  context(kit: ServiceKit<ProjectsConfig, ProjectsDatabase>): ProjectsContext {
    const { config, bus, pool, schema, store, logger, clock, newId } = kit;
    return {
      config, bus, pool, schema, store, logger, clock, newId,
      // Queries name their tables with the schema (it is configurable), so this Kysely adds none.
      db: new Kysely({ dialect: new PostgresDialect({ pool }) }),
      projects: new LRUCache({ max: 1_000 }),
      conflicts: new Counter({
        name: 'cadre_projects_decision_conflicts_total',
        help: 'Decisions taken again because another writer appended to the stream first (optimistic concurrency)',
        labelNames: ['aggregate'], registers: [kit.metrics.registry],
      }),
    };
  },
  workers: async (ctx) => [
    // A backstop: the writer writes the rows before it replies.
    await startProjection(ctx, boardViewsProjection(ctx), { lingerMs: BACKSTOP_LINGER_MS }),
    await startRunFollower(ctx),
    startClaimSweeper(ctx, ctx.config.PROJECTS_CLAIM_SWEEP_MS),
  ],
  endpoints: (ctx) => [...projectHandlers(ctx), ...taskHandlers(ctx), ...executionHandlers(ctx), importHandler(ctx)],
  // The import derives its ids from the key, so a repeat is seen in its events (and answered `replayed`).
  ownIdempotency: [taskImport],
});
