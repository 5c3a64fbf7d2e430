import { z } from 'zod';

// Shapes of the memory domain: vaults of agents (and one shared), memories, search hits,
// adaptive scores and ingested documents.

/** The vault every agent of a user reads besides its own. */
export const SHARED_VAULT = 'shared';

export const VaultId = z.string().min(1).max(64).regex(/^[a-zA-Z0-9_.-]+$/, 'letters, digits, ".", "_" and "-"')
  .describe(`An agent id, or "${SHARED_VAULT}" for the shared vault`);

export const MemoryId = z.string().min(1).max(100).regex(/^[a-zA-Z0-9_.:-]+$/, 'letters, digits, ".", ":", "_" and "-"');

export const MEMORY_TYPES = ['lesson', 'decision', 'pattern', 'fact', 'preference', 'handoff', 'commitment', 'relationship'] as const;
export const MemoryType = z.enum(MEMORY_TYPES);
export type MemoryType = z.infer<typeof MemoryType>;

export const Tag = z.string().min(1).max(64).regex(/^[^\s,]+$/, 'no spaces or commas');

export const MemoryTitle = z.string().trim().min(1).max(300);
export const MemoryBody = z.string().max(100_000);

export const MemoryView = z.object({
  id: MemoryId,
  agent_id: VaultId.describe(`The vault: an agent id, or "${SHARED_VAULT}"`),
  shared: z.boolean(),
  title: z.string(),
  body: z.string(),
  type: MemoryType,
  tags: z.array(z.string()),
  links: z.array(z.string()).describe('Titles named by [[wiki-links]] in the body'),
  version: z.number().int().positive(),
  owner: z.string().optional(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type MemoryView = z.infer<typeof MemoryView>;

export const VaultSummary = z.object({
  agent_id: VaultId,
  shared: z.boolean(),
  count: z.number().int().nonnegative(),
  by_type: z.record(z.string(), z.number().int().nonnegative()),
  updated_at: z.string().nullable(),
});

/** Why a hit matched and how it scored. */
export const SearchHit = z.object({
  id: z.string(),
  agent_id: z.string(),
  title: z.string(),
  snippet: z.string(),
  type: z.string(),
  tags: z.array(z.string()),
  match: z.enum(['text', 'vector', 'both']).describe('Which side found it: full-text (with typo correction), vector similarity, or both'),
  scores: z.object({
    text: z.number().nullable().describe('ts_rank_cd of the full-text match'),
    text_rank: z.number().int().nullable(),
    vector: z.number().nullable().describe('Cosine similarity of the embeddings'),
    vector_rank: z.number().int().nullable(),
    fused: z.number().describe('Reciprocal-rank fusion of the two ranks'),
    adaptive: z.number().describe('The adaptive score blended in (its recalls and valuations for the agent; recency from its last change when never recalled)'),
    final: z.number(),
  }),
});
export type SearchHit = z.infer<typeof SearchHit>;

export const SearchReply = z.object({
  query: z.string(),
  mode: z.enum(['hybrid', 'text']).describe('hybrid with an embedding provider, else full-text and trigram only'),
  corrections: z.record(z.string(), z.array(z.string())).describe('Query words not in any memory, and the known words (trigram similarity) searched instead'),
  embedding_model: z.string().nullable(),
  note: z.string().optional(),
  results: z.array(SearchHit),
});

export const ScoreSettings = z.object({
  min_valuations_for_signal: z.number().int().min(0).max(1000),
  rehabilitation_half_life_days: z.number().positive().max(36500),
  recency_half_life_days: z.number().positive().max(36500),
  recency_floor: z.number().min(0).max(1),
  frequency_saturation: z.number().int().min(2).max(1_000_000).describe('Recalls at which frequency reaches 1'),
  weight_usefulness: z.number().min(0).max(1),
  weight_recency: z.number().min(0).max(1),
  weight_frequency: z.number().min(0).max(1),
  score_floor: z.number().min(0).max(1),
  blend_base: z.number().min(0).max(1).describe('At recall: final = raw × (blend_base + blend_weight × adaptive)'),
  blend_weight: z.number().min(0).max(1),
});
export type ScoreSettings = z.infer<typeof ScoreSettings>;

export const MemoryScoreView = z.object({
  memory_id: z.string(),
  title: z.string().nullable(),
  access_count: z.number().int().nonnegative(),
  valuation_count: z.number().int().nonnegative(),
  useful_count: z.number().int().nonnegative(),
  not_useful_count: z.number().int().nonnegative(),
  usefulness: z.number(),
  recency: z.number(),
  frequency: z.number(),
  adaptive_score: z.number(),
  last_accessed: z.string().nullable(),
  last_valued: z.string().nullable(),
});

export const DOCUMENT_FORMATS = ['markdown', 'text', 'html', 'pdf'] as const;
export const DocumentFormat = z.enum(DOCUMENT_FORMATS);

export const DocumentView = z.object({
  id: z.string(),
  title: z.string(),
  name: z.string(),
  format: DocumentFormat,
  size_bytes: z.number().int().nonnegative(),
  sections: z.number().int().nonnegative(),
  owner: z.string().optional(),
  created_at: z.string(),
  status: z.enum(['processing', 'ready', 'failed']).describe('A large document is parsed as a job: processing until its sections are in'),
  error: z.string().optional().describe('Why a document that was parsed as a job could not be'),
});

/** A heading of a document with the headings under it. */
export const TocNode = z.object({
  id: z.string(),
  heading: z.string(),
  level: z.number().int(),
  path: z.array(z.string()),
  get children(): z.ZodArray<typeof TocNode> {
    return z.array(TocNode);
  },
});
export type TocNode = z.infer<typeof TocNode>;

export const SectionView = z.object({
  document_id: z.string(),
  id: z.string(),
  heading: z.string(),
  level: z.number().int(),
  path: z.array(z.string()),
  content: z.string(),
});

export const DocumentHit = z.object({
  document_id: z.string(),
  document_title: z.string(),
  section_id: z.string(),
  heading: z.string(),
  path: z.array(z.string()),
  snippet: z.string(),
  score: z.number(),
  rank: z.number().optional(),
  // Added with the vector side (optional: a reply without an embedding provider has them too).
  match: z.enum(['text', 'vector', 'both']).optional().describe('Which side found it: full-text, vector similarity, or both'),
  scores: z.object({ text: z.number().nullable(), vector: z.number().nullable(), fused: z.number() }).optional(),
});
