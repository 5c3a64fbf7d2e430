import { randomBytes } from 'node:crypto';
import { defineService, packageVersion, startProjection, type ServiceKit } from '@cadre/kit';
import { createSecretBox } from '@cadre/runtime';
import { memoryRoutes } from '@cadre/proto';
import { loadMemoryConfig, memoryConfigShape, type MemoryConfig } from './config';
import type { MemoryContext } from './context';
import { startEmbedWorker } from './embeddings/embedder';
import { detectPgvector, type Pgvector } from './embeddings/pgvector';
import { createOpenAiEmbeddings, type EmbeddingProvider } from './embeddings/provider';
import { createProviderSettings, settingOnce, type DefaultProvider } from './embeddings/settings';
import { documentEndpoints } from './handlers/documents';
import { importEndpoints } from './handlers/imports';
import { memoryEndpoints } from './handlers/memories';
import { searchEndpoints } from './handlers/search';
import { startDocumentWorker } from './documents/jobs';
import { startImportWorker } from './imports/worker';
import { memoriesProjection } from './memory/projection';
import { cachedSettings } from './scores/settings';
import { scoresProjection } from './scores/projection';
import type { MemoryDatabase } from './storage/database';
import { memoryMigrations } from './storage/migrations';

/** Options of the memory service beyond its config: an embedding provider of the caller's (tests, benches). */
export interface MemoryServiceOptions {
  readonly embeddings?: EmbeddingProvider;
}

interface MemoryRuntime extends MemoryContext {
  readonly kit: ServiceKit<MemoryConfig, MemoryDatabase>;
  /** pgvector when the server has it (detected at start). */
  readonly pgvector: Pgvector | undefined;
}

/** An OpenAI-compatible provider with the config's batch size and timeout. */
const makeProvider = (config: MemoryConfig) => (options: { baseUrl: string; model: string; apiKey?: string; dimensions?: number }): EmbeddingProvider =>
  createOpenAiEmbeddings({ ...options, batchSize: config.MEMORY_EMBEDDINGS_BATCH, timeoutMs: config.MEMORY_EMBEDDINGS_TIMEOUT_MS });

/** The default provider: one given in code (tests, benches), else the environment's MEMORY_EMBEDDINGS_*. */
function defaultProvider(config: MemoryConfig, given: EmbeddingProvider | undefined): DefaultProvider | undefined {
  if (given) return { provider: given, baseUrl: null, dimensions: null, apiKeySet: false };
  if (config.MEMORY_EMBEDDINGS_BASE_URL === undefined || config.MEMORY_EMBEDDINGS_MODEL === undefined) return undefined;
  const dimensions = config.MEMORY_EMBEDDINGS_DIMENSIONS > 0 ? config.MEMORY_EMBEDDINGS_DIMENSIONS : undefined;
  return {
    provider: makeProvider(config)({
      baseUrl: config.MEMORY_EMBEDDINGS_BASE_URL, model: config.MEMORY_EMBEDDINGS_MODEL,
      ...(config.MEMORY_EMBEDDINGS_API_KEY !== undefined ? { apiKey: config.MEMORY_EMBEDDINGS_API_KEY } : {}), ...(dimensions ? { dimensions } : {}),
    }),
    baseUrl: config.MEMORY_EMBEDDINGS_BASE_URL, dimensions: dimensions ?? null, apiKeySet: config.MEMORY_EMBEDDINGS_API_KEY !== undefined,
  };
}

/**
 * Memory: vaults of agents and a shared one (memories as event streams, their current content
 * in a table), hybrid search (Postgres full-text with typo correction by trigrams, fused with
 * embedding similarity when a provider is configured, weighted by adaptive scores), the
 * retrieval and valuation logs behind those scores, imports as jobs, and ingested documents.
 * Its events belong to their owner on the stream.
 */
export const memoryService = defineService({
  name: 'memory',
  description: 'Agent memory: vaults, hybrid search, adaptive scores, documents',
  version: packageVersion(__dirname),
  config: { shape: memoryConfigShape, load: loadMemoryConfig },
  schema: (config: MemoryConfig) => config.MEMORY_SCHEMA,
  events: [{ name: 'memory', visibility: 'owner' }],
  migrations: memoryMigrations,
  routes: memoryRoutes,
  async context(kit: ServiceKit<MemoryConfig, MemoryDatabase>, options: MemoryServiceOptions | undefined): Promise<MemoryRuntime> {
    const { config, pool, schema, store, bus, logger, clock, newId } = kit;
    const pgvector = await detectPgvector(pool, schema, config.MEMORY_VECTOR_BACKEND, logger);
    let secret = config.CADRE_SECRET_KEY;
    if (secret === undefined) {
      secret = await settingOnce(pool, schema, 'provider_key_secret', () => randomBytes(32).toString('base64'));
    }
    const providers = createProviderSettings({
      pool, schema, store, logger, pgvector, box: createSecretBox(secret), fallback: defaultProvider(config, options?.embeddings), make: makeProvider(config),
    });
    const embeddings = () => providers.current();
    const settings = cachedSettings(store, clock);
    return {
      kit, config, pool, schema, store, bus, logger, clock, newId, settings, instance: kit.instance, pgvector, embeddings, providers,
      search: { pool, schema, logger, clock, settings, embeddings, minSimilarity: config.MEMORY_VECTOR_MIN_SIMILARITY },
    };
  },
  workers: async (ctx) => [
    await startProjection(ctx.kit, memoriesProjection(ctx.schema)),
    await startProjection(ctx.kit, scoresProjection(ctx.schema)),
    await startImportWorker(ctx),
    await startDocumentWorker(ctx),
    startEmbedWorker(ctx.embeddings, ctx.config.MEMORY_EMBED_INTERVAL_MS, ctx.logger),
  ],
  endpoints: (ctx) => [...memoryEndpoints(ctx), ...searchEndpoints(ctx), ...importEndpoints(ctx), ...documentEndpoints(ctx)],
  started: (ctx) => ({
    vectors: ctx.pgvector ? `pgvector ${ctx.pgvector.version}` : 'in-process index',
  }),
});
