import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';

// The embeddings provider of the memory service, set through the API by an admin (over the
// environment's MEMORY_EMBEDDINGS_* default), effective at once on every replica. Its key is
// sealed at rest and never answered: replies say whether one is set.

/** The provider at work and where it comes from. */
export const EmbeddingProviderView = z.object({
  source: z.enum(['api', 'environment', 'none']).describe('api: set through this route; environment: MEMORY_EMBEDDINGS_*; none: full-text search only'),
  base_url: z.string().nullable(),
  model: z.string().nullable(),
  dimensions: z.number().int().nullable().describe('Asked of the model (null: its own)'),
  api_key_set: z.boolean(),
  updated_at: z.string().nullable().describe('When it was last set or removed through the API'),
});
export type EmbeddingProviderView = z.infer<typeof EmbeddingProviderView>;

export const memoryEmbeddingProviderGet = defineQuery({
  domain: 'memory', name: 'embedding_provider', description: 'The embeddings provider at work (admins)',
  request: z.object({}), reply: EmbeddingProviderView,
});

export const memoryEmbeddingProviderUpdate = defineCommand({
  domain: 'memory', name: 'embedding_provider_update',
  description: 'Set the embeddings provider (admins): every replica uses it from its next search; a new model re-embeds in the background',
  request: z.object({
    base_url: z.string().url().max(2000).refine((url) => /^https?:\/\//i.test(url), 'must be an http(s) URL')
      .describe('OpenAI-compatible API up to its version path, e.g. https://api.openai.com/v1 or http://localhost:11434/v1'),
    model: z.string().trim().min(1).max(200),
    dimensions: z.number().int().min(1).max(16_000).nullable().optional().describe('Ask the model for this many dimensions (null or absent: its own)'),
    api_key: z.string().min(1).max(4096).nullable().optional().describe('Bearer key, sealed at rest; absent keeps the key set before, null removes it'),
  }),
  reply: EmbeddingProviderView,
});

export const memoryEmbeddingProviderRemove = defineCommand({
  domain: 'memory', name: 'embedding_provider_remove', description: 'Remove the provider set through the API (admins): the environment\'s applies again',
  request: z.object({}), reply: EmbeddingProviderView,
});
