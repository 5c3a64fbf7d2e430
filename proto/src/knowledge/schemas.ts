import { z } from 'zod';

export const KgProjectId = z.uuid({ error: 'expected a project id (UUID)' });
export const IndexJobId = z.string().regex(/^[0-9a-f-]{8,64}$/, 'expected an index job id').describe('An index job');

export const NodeLabel = z.enum(['Folder', 'File', 'Function', 'Class', 'Method', 'Interface', 'Struct', 'Enum', 'Trait', 'TypeAlias', 'Community', 'Process']);
export const EdgeType = z.enum(['CONTAINS', 'DEFINES', 'MEMBER_OF', 'IMPORTS', 'CALLS', 'EXTENDS', 'IMPLEMENTS', 'STEP_IN_PROCESS']);

export const IndexPhase = z.enum(['queued', 'scanning', 'parsing', 'imports', 'calls', 'heritage', 'communities', 'processes', 'search', 'storing', 'complete', 'failed']);

export const IndexCounts = z.object({
  files_total: z.number().int().describe('Source files found in the languages indexed'),
  files_parsed: z.number().int().describe('Files parsed in this job (their content changed, or force)'),
  files_reused: z.number().int().describe('Files whose content had not changed: their earlier parse was kept'),
  files_removed: z.number().int(),
  skipped_too_large: z.number().int(),
  skipped_binary: z.number().int(),
  skipped_vendored: z.number().int().describe('Vendored, build and hidden folders left out'),
  skipped_unsupported: z.number().int().describe('Files of languages not indexed'),
  parse_errors: z.number().int(),
  lines: z.number().int(),
  symbols: z.number().int(),
  edges: z.number().int(),
  communities: z.number().int(),
  processes: z.number().int(),
  unresolved_calls: z.number().int(),
  unresolved_imports: z.number().int(),
}).partial();

export const IndexJobView = z.object({
  job_id: z.string(),
  project_id: z.string(),
  status: z.enum(['queued', 'running', 'complete', 'failed']),
  phase: IndexPhase,
  force: z.boolean(),
  counts: IndexCounts,
  errors: z.array(z.string()).describe('Files that could not be parsed (path: reason), and why a job failed'),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  worker: z.string().nullable().describe('The service instance that last reported progress'),
});

export const SymbolView = z.object({
  id: z.number().int(),
  label: NodeLabel,
  name: z.string(),
  qualified_name: z.string(),
  file: z.string().nullable(),
  start_line: z.number().int().nullable(),
  end_line: z.number().int().nullable(),
  signature: z.string(),
  doc: z.string(),
  community: z.number().int().nullable(),
});

export const EdgeView = z.object({
  source: z.number().int(), target: z.number().int(), type: EdgeType, confidence: z.number(), reason: z.string(),
  step: z.number().int().nullable(),
});

export const RelatedSymbol = SymbolView.extend({ confidence: z.number(), reason: z.string() });

export const CommunityView = z.object({
  id: z.number().int(), label: z.string(), cohesion: z.number(), size: z.number().int(),
  top_symbols: z.array(z.string()).describe('The most connected members'),
});

export const ProcessView = z.object({
  id: z.number().int(), name: z.string(), type: z.enum(['intra_community', 'cross_community']),
  entry: SymbolView, terminal: SymbolView, step_count: z.number().int(),
  steps: z.array(z.object({ step: z.number().int(), depth: z.number().int(), symbol: SymbolView })).optional(),
});

export const Risk = z.enum(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
