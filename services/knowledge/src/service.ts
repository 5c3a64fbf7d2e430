import { snapshotCache } from '@cadre/eventstore';
import { defineService, packageVersion, type ServiceKit } from '@cadre/kit';
import { PRINCIPAL_HEADER, knowledgeRoutes, projectGet, type Principal } from '@cadre/proto';
import { call, watchQueueDepth } from '@cadre/runtime';
import { knowledgeConfigShape, loadKnowledgeConfig, type KnowledgeConfig } from './config';
import type { KnowledgeContext } from './context';
import { graphEndpoints } from './handlers/graph';
import { indexingEndpoints } from './handlers/indexing';
import { queryEndpoints } from './handlers/queries';
import type { IndexState } from './index/decider';
import { INDEX_QUEUE, startIndexWorker } from './index/worker';
import type { KnowledgeDatabase } from './storage/database';
import { GraphCache } from './storage/graph-store';
import { knowledgeMigrations } from './storage/migrations';

const INDEXER: Principal = { kind: 'service', role: 'admin', credential_id: 'knowledge-indexer' };

/**
 * Knowledge: the code knowledge graph of a project's repository. Indexing is a job on a work
 * queue shared by the replicas (redelivered when a replica dies, joined by a second request,
 * parsing only changed files); tree-sitter parses six languages into symbols and typed edges with
 * a confidence and a reason; Louvain finds communities; processes follow calls from entry points.
 * Search, context, impact, changes and a read-only query language read the stored graph.
 */
export const knowledgeService = defineService({
  name: 'knowledge',
  description: 'Code knowledge graph: indexing, communities, processes, impact and a read-only query language',
  version: packageVersion(__dirname),
  config: { shape: knowledgeConfigShape, load: loadKnowledgeConfig },
  schema: (config: KnowledgeConfig) => config.KNOWLEDGE_SCHEMA,
  events: [{ name: 'knowledge', visibility: 'owner' }],
  migrations: knowledgeMigrations,
  routes: knowledgeRoutes,
  context(kit: ServiceKit<KnowledgeConfig, KnowledgeDatabase>): KnowledgeContext {
    const { config, bus, pool, schema, store, logger, clock, newId } = kit;
    watchQueueDepth(kit.metrics.registry, bus.workQueue(INDEX_QUEUE));
    // An index job whose event masks the repository's credentials reads the URL from the project.
    const repositoryOf = async (projectId: string) =>
      (await call(bus, projectGet, { project_id: projectId }, { headers: { [PRINCIPAL_HEADER]: JSON.stringify(INDEXER) }, timeoutMs: 10_000 })).repository;
    return { config, bus, pool, schema, store, logger, clock, newId, instance: kit.instance, graphs: new GraphCache(config.KNOWLEDGE_GRAPH_CACHE_PROJECTS), repositoryOf, jobs: snapshotCache<IndexState>(1_000) };
  },
  workers: async (ctx) => [await startIndexWorker(ctx)],
  endpoints: (ctx) => [...indexingEndpoints(ctx), ...graphEndpoints(ctx), ...queryEndpoints(ctx)],
});
