import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';
import {
  MemoryBody, MemoryId, MemoryScoreView, MemoryTitle, MemoryType, MemoryView, ScoreSettings, SearchReply, Tag, VaultId, VaultSummary,
} from './schemas';

// Commands and queries of the memory service about vaults and memories. A call made for an
// agent's run (the executor's tools) names the run's user in `user_id`; only a credential that
// acts as an admin (the engine's) may do so.

const OnBehalf = {
  user_id: z.string().min(1).max(200).optional().describe('The user a service call acts for (admin and engine credentials only)'),
  run_id: z.string().max(200).optional(),
  step_id: z.string().max(200).optional(),
};

const Limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);
const Query = z.string().trim().min(1).max(1000);

export const memoryVaults = defineQuery({
  domain: 'memory', name: 'vaults', description: 'Vaults with their memory counts',
  request: z.object({}), reply: z.object({ vaults: z.array(VaultSummary) }),
});

export const memoryVault = defineQuery({
  domain: 'memory', name: 'vault', description: 'The memories of one vault, newest first, one page at a time',
  request: z.object({
    agent_id: VaultId,
    type: MemoryType.optional(),
    tag: Tag.optional(),
    limit: Limit(500, 50),
    cursor: z.string().max(200).optional().describe('next_cursor of the previous page'),
  }),
  reply: z.object({ agent_id: z.string(), memories: z.array(MemoryView), total: z.number().int().nonnegative(), next_cursor: z.string().nullable() }),
});

export const MemoryInput = z.object({
  title: MemoryTitle,
  body: MemoryBody.default(''),
  type: MemoryType.default('fact'),
  tags: z.array(Tag).max(50).default([]),
});

export const memoryRemember = defineCommand({
  domain: 'memory', name: 'remember', description: 'Save a memory to an agent\'s vault or the shared vault',
  request: MemoryInput.extend({ agent_id: VaultId, id: MemoryId.optional().describe('Chosen id; saving the same id again updates it'), ...OnBehalf }),
  reply: MemoryView.extend({ created: z.boolean() }),
});

export const memoryGet = defineQuery({
  domain: 'memory', name: 'get', description: 'One memory',
  request: z.object({ agent_id: VaultId, memory_id: MemoryId }), reply: MemoryView,
});

export const memoryUpdate = defineCommand({
  domain: 'memory', name: 'update', description: 'Change a memory\'s title, body, type or tags',
  request: z.object({
    agent_id: VaultId, memory_id: MemoryId,
    title: MemoryTitle.optional(), body: MemoryBody.optional(), type: MemoryType.optional(), tags: z.array(Tag).max(50).optional(),
  }),
  reply: MemoryView,
});

export const memoryDelete = defineCommand({
  domain: 'memory', name: 'delete', description: 'Delete a memory',
  request: z.object({ agent_id: VaultId, memory_id: MemoryId }), reply: z.object({ id: z.string(), deleted: z.boolean() }),
});

export const ImportFile = z.object({
  name: z.string().min(1).max(500).describe('File name; the title is its first heading, else the name'),
  content: z.string().max(100_000),
});

export const memoryImport = defineCommand({
  domain: 'memory', name: 'import', description: 'Import markdown files (several, or a zip) into a vault, as a job',
  request: z.object({
    agent_id: VaultId,
    files: z.array(ImportFile).max(20_000).optional(),
    zip_base64: z.string().max(8_000_000).optional().describe('A zip of markdown files, base64'),
  }),
  reply: z.object({ import_id: z.string(), agent_id: z.string(), files: z.number().int(), status: z.string() }),
});

export const ImportView = z.object({
  import_id: z.string(), agent_id: z.string(), status: z.enum(['queued', 'running', 'completed', 'failed']),
  files: z.number().int(), saved: z.number().int(), unchanged: z.number().int(), failed: z.number().int(),
  worker: z.string().nullable().describe('The replica running it (the last one to take it)'),
  errors: z.array(z.object({ name: z.string(), error: z.string() })), created_at: z.string(), updated_at: z.string(),
});

export const memoryImportGet = defineQuery({
  domain: 'memory', name: 'import_get', description: 'Progress of an import',
  request: z.object({ import_id: z.string().min(1).max(100) }), reply: ImportView,
});

export const memoryGraph = defineQuery({
  domain: 'memory', name: 'graph', description: 'The wiki-link graph of a vault, or the neighbours of one memory',
  request: z.object({ agent_id: VaultId, memory_id: MemoryId.optional().describe('Only this memory and its neighbours'), depth: z.coerce.number().int().min(1).max(3).default(1) }),
  reply: z.object({
    nodes: z.array(z.object({ id: z.string(), title: z.string(), type: z.string(), agent_id: z.string() })),
    edges: z.array(z.object({ from: z.string(), to: z.string().nullable(), title: z.string().describe('The [[link]] text'), resolved: z.boolean() })),
  }),
});

const SearchRequest = {
  query: Query.optional(),
  q: Query.optional().describe('The same as query'),
  limit: Limit(100, 10),
};

export const memorySearch = defineQuery({
  domain: 'memory', name: 'search', description: 'Hybrid search of an agent\'s vault and the shared one (or all vaults)',
  request: z.object({
    ...SearchRequest,
    agent_id: VaultId.optional().describe('Search this agent\'s vault and the shared one; all vaults when absent'),
    type: MemoryType.optional(),
  }),
  reply: SearchReply,
});

export const memorySharedSearch = defineQuery({
  domain: 'memory', name: 'shared_search', description: 'Hybrid search of the shared vault',
  request: z.object({ ...SearchRequest, type: MemoryType.optional() }), reply: SearchReply,
});

/** The executor's `recall`: the hybrid search of the agent's vault and the shared one, logged as retrievals. */
export const memoryRecall = defineCommand({
  domain: 'memory', name: 'recall', description: 'Recall memories for an agent, logging what was surfaced (a gap when nothing)',
  request: z.object({
    agent_id: VaultId, query: Query, limit: Limit(50, 5), ...OnBehalf,
    log: z.boolean().default(true).describe('Log the retrieval (and a gap when nothing is found); false for memories put in a step\'s prompt'),
  }),
  reply: SearchReply,
});

export const memoryRate = defineCommand({
  domain: 'memory', name: 'rate', description: 'An agent says which recalled memories were useful',
  request: z.object({
    agent_id: VaultId,
    ratings: z.array(z.object({ memory_id: MemoryId, useful: z.boolean() })).min(1).max(100),
    ...OnBehalf,
  }),
  reply: z.object({ scores: z.array(MemoryScoreView) }),
});

export const memoryScores = defineQuery({
  domain: 'memory', name: 'scores', description: 'Adaptive scores of an agent\'s memories, best first',
  request: z.object({ agent_id: VaultId, limit: Limit(1000, 100) }),
  reply: z.object({ agent_id: z.string(), scores: z.array(MemoryScoreView) }),
});

export const memoryScoreUpdate = defineCommand({
  domain: 'memory', name: 'score_update', description: 'Value a memory for an agent (useful or not)',
  request: z.object({ agent_id: VaultId, entry: MemoryId, useful: z.boolean() }),
  reply: MemoryScoreView,
});

export const memoryScoreSettingsGet = defineQuery({
  domain: 'memory', name: 'score_settings', description: 'The adaptive score\'s parameters',
  request: z.object({}), reply: ScoreSettings,
});

export const memoryScoreSettingsUpdate = defineCommand({
  domain: 'memory', name: 'score_settings_update', description: 'Change the adaptive score\'s parameters (or reset them)',
  request: ScoreSettings.partial().extend({ reset: z.boolean().optional().describe('Back to the defaults (other fields ignored)') }),
  reply: ScoreSettings,
});

export const memoryEmbeddings = defineQuery({
  domain: 'memory', name: 'embeddings', description: 'The embedding provider and how many memories carry its vectors',
  request: z.object({}),
  reply: z.object({
    configured: z.boolean(), model: z.string().nullable(), dimensions: z.number().int().nullable(),
    memories: z.number().int(), embedded: z.number().int(), pending: z.number().int(),
    other_models: z.record(z.string(), z.number().int()).describe('Vectors of other models, not compared, re-embedded in the background'),
    index: z.enum(['pgvector', 'in-process']).nullable(),
  }),
});

export const memoryGaps = defineQuery({
  domain: 'memory', name: 'gaps', description: 'What an agent looked for and did not find (recalls with no result), newest first',
  request: z.object({ agent_id: VaultId, limit: Limit(1000, 100) }),
  reply: z.object({
    agent_id: z.string(),
    gaps: z.array(z.object({ query: z.string(), run_id: z.string().nullable(), created_at: z.string() })),
  }),
});
