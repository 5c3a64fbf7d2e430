import { z } from 'zod';
import { ConfigError, env, loadConfig } from '@cadre/config';

/** Environment variables of the memory service. */
export const memoryConfigShape = {
  MEMORY_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,47}$/).default('memory').describe('Postgres schema of the service'),
  MEMORY_EMBEDDINGS_BASE_URL: z.string().url().optional()
    .describe('Base URL of an OpenAI-compatible embeddings API (OpenAI, Ollama, vLLM, llama.cpp, TEI…), e.g. https://api.openai.com/v1; unset: full-text and trigram search only'),
  MEMORY_EMBEDDINGS_MODEL: z.string().min(1).max(200).optional().describe('Embedding model name sent to the provider'),
  CADRE_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional()
    .describe('Encrypts the embeddings provider key set through the API at rest (unset: a key generated once and kept in the service\'s schema)'),
  MEMORY_EMBEDDINGS_API_KEY: z.string().optional().describe('Bearer key of the embeddings provider (never logged)'),
  MEMORY_EMBEDDINGS_DIMENSIONS: env.int(0, 0).describe('Ask the provider for this many dimensions (0: the model\'s own)'),
  MEMORY_EMBEDDINGS_BATCH: env.int(64, 1).describe('Texts per embeddings request'),
  MEMORY_EMBEDDINGS_TIMEOUT_MS: env.int(15_000, 100).describe('Timeout of one embeddings request'),
  MEMORY_EMBED_INTERVAL_MS: env.int(2_000, 50).describe('How often memories without a vector of the current model are embedded in the background'),
  MEMORY_VECTOR_BACKEND: z.enum(['auto', 'pgvector', 'in-process']).default('auto')
    .describe('Where vector similarity is computed: auto (pgvector when the Postgres server has the extension, else an in-process index per replica), pgvector (fail to start without it), in-process'),
  MEMORY_VECTOR_MIN_SIMILARITY: z.coerce.number().min(-1).max(1).default(0.3).describe('Cosine similarity below which the vector side ignores a memory'),
  MEMORY_DOCUMENT_MAX_BYTES: env.int(4 * 1024 * 1024, 1024).describe('Largest document accepted for ingestion (bytes, after base64 decoding)'),
  MEMORY_DOCUMENT_INLINE_BYTES: env.int(1024 * 1024, 0).describe('Documents larger than this are parsed as a job (201 with status "processing", progress events); smaller ones before the reply'),
  MEMORY_IMPORT_ACK_WAIT_MS: env.int(30_000, 500).describe('How long an import job may go without a heartbeat before another replica takes it over'),
};

export type MemoryConfig = Readonly<z.infer<z.ZodObject<typeof memoryConfigShape>>>;

/** Parses the memory variables once; a bad one fails fast, named. */
export function loadMemoryConfig(environment: Readonly<Record<string, string | undefined>> = process.env): MemoryConfig {
  const config = loadConfig(memoryConfigShape, environment);
  if (config.MEMORY_EMBEDDINGS_BASE_URL !== undefined && config.MEMORY_EMBEDDINGS_MODEL === undefined) {
    throw new ConfigError([{ variable: 'MEMORY_EMBEDDINGS_MODEL', message: 'required when MEMORY_EMBEDDINGS_BASE_URL is set' }]);
  }
  return config;
}
