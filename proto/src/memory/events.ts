import { z } from 'zod';
import { defineEvent } from '../define-event';
import { ScoreSettings } from './schemas';

// Events of the memory domain. Every event carries its owner in `meta.owner`; the subject's
// scope is the vault (an agent id, or "shared") for memory events, the document id for documents.

const MemoryContent = {
  memory_id: z.string(),
  agent_id: z.string().describe('The vault: an agent id, or "shared"'),
  shared: z.boolean(),
  title: z.string(),
  body: z.string(),
  type: z.string(),
  tags: z.array(z.string()),
  links: z.array(z.string()),
};

export const memorySaved = defineEvent({
  type: 'memory_saved', domain: 'memory', version: 1, description: 'A memory was saved to a vault',
  data: z.object({ ...MemoryContent, import_id: z.string().optional(), run_id: z.string().optional() }),
});

export const memoryUpdated = defineEvent({
  type: 'memory_updated', domain: 'memory', version: 1, description: 'A memory changed (its whole new content)',
  data: z.object({ ...MemoryContent, import_id: z.string().optional() }),
});

export const memoryDeleted = defineEvent({
  type: 'memory_deleted', domain: 'memory', version: 1, description: 'A memory was deleted',
  data: z.object({ memory_id: z.string(), agent_id: z.string(), shared: z.boolean() }),
});

export const memoryRetrieved = defineEvent({
  type: 'memory_retrieved', domain: 'memory', version: 1, description: 'Recall surfaced memories to an agent (the retrieval log)',
  data: z.object({
    agent_id: z.string(), query: z.string(), run_id: z.string().optional(), step_id: z.string().optional(),
    hits: z.array(z.object({ memory_id: z.string(), match: z.string(), raw_score: z.number(), final_score: z.number() })),
  }),
});

export const memoryValued = defineEvent({
  type: 'memory_valued', domain: 'memory', version: 1, description: 'An agent or user said whether a memory was useful',
  data: z.object({ agent_id: z.string(), memory_id: z.string(), useful: z.boolean(), run_id: z.string().optional() }),
});

export const memoryGap = defineEvent({
  type: 'memory_gap', domain: 'memory', version: 1, description: 'Recall found nothing for an agent\'s query',
  data: z.object({ agent_id: z.string(), query: z.string(), run_id: z.string().optional() }),
});

export const memoryScoreSettingsUpdated = defineEvent({
  type: 'memory_score_settings_updated', domain: 'memory', version: 1, description: 'The adaptive score\'s parameters changed',
  data: z.object({ settings: ScoreSettings, reset: z.boolean() }),
});

export const memoryImportStarted = defineEvent({
  type: 'memory_import_started', domain: 'memory', version: 1, description: 'An import of markdown files into a vault was queued',
  data: z.object({ import_id: z.string(), agent_id: z.string(), files: z.number().int() }),
});

export const memoryImportProgress = defineEvent({
  type: 'memory_import_progress', domain: 'memory', version: 1, description: 'An import went on (counts so far)',
  data: z.object({ import_id: z.string(), agent_id: z.string(), done: z.number().int(), files: z.number().int() }),
});

export const memoryImportCompleted = defineEvent({
  type: 'memory_import_completed', domain: 'memory', version: 1, description: 'An import finished',
  data: z.object({
    import_id: z.string(), agent_id: z.string(), files: z.number().int(), saved: z.number().int(), unchanged: z.number().int(), failed: z.number().int(),
  }),
});

export const documentIngested = defineEvent({
  type: 'document_ingested', domain: 'memory', version: 1, description: 'A document was parsed into sections and stored',
  data: z.object({
    document_id: z.string(), title: z.string(), name: z.string(), format: z.string(), size_bytes: z.number().int(), sections: z.number().int(),
    sha256: z.string(),
  }),
});

export const documentIngestStarted = defineEvent({
  type: 'document_ingest_started', domain: 'memory', version: 1, description: 'A large document was accepted and is parsed as a job',
  data: z.object({ document_id: z.string(), name: z.string(), format: z.string(), size_bytes: z.number().int() }),
});

export const documentIngestProgress = defineEvent({
  type: 'document_ingest_progress', domain: 'memory', version: 1, description: 'A document parsed as a job went on (sections stored so far)',
  data: z.object({ document_id: z.string(), done: z.number().int(), sections: z.number().int() }),
});

export const documentIngestFailed = defineEvent({
  type: 'document_ingest_failed', domain: 'memory', version: 1, description: 'A document parsed as a job could not be parsed',
  data: z.object({ document_id: z.string(), error: z.string() }),
});

export const documentDeleted = defineEvent({
  type: 'document_deleted', domain: 'memory', version: 1, description: 'An ingested document was deleted',
  data: z.object({ document_id: z.string() }),
});

export const memoryEmbeddingProviderSet = defineEvent({
  type: 'memory_embedding_provider_set', domain: 'memory', version: 1,
  description: 'An admin set the embeddings provider (never its key: whether one is set)',
  data: z.object({ base_url: z.string(), model: z.string(), dimensions: z.number().int().nullable(), api_key_set: z.boolean() }),
});

export const memoryEmbeddingProviderRemoved = defineEvent({
  type: 'memory_embedding_provider_removed', domain: 'memory', version: 1,
  description: 'An admin removed the embeddings provider set through the API (the environment\'s applies again)',
  data: z.object({}),
});

/** Every event of the memory domain. */
export const memoryEvents = [
  memorySaved, memoryUpdated, memoryDeleted, memoryRetrieved, memoryValued, memoryGap, memoryScoreSettingsUpdated,
  memoryImportStarted, memoryImportProgress, memoryImportCompleted, documentIngested, documentDeleted,
  documentIngestStarted, documentIngestProgress, documentIngestFailed, memoryEmbeddingProviderSet, memoryEmbeddingProviderRemoved,
] as const;
