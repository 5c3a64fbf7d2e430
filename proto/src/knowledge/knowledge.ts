import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';
import {
  CommunityView, EdgeView, IndexCounts, IndexJobId, IndexJobView, KgProjectId, NodeLabel, ProcessView, RelatedSymbol, Risk, SymbolView,
} from './schemas';

const Project = z.object({ project_id: KgProjectId });
const SymbolName = z.string().min(1).max(500).describe('A symbol: its name, its qualified name (`Class.method`), or `path#Qualified.name`');

export const knowledgeIndex = defineCommand({
  domain: 'knowledge', name: 'index', description: "Index a project's repository (a job; a request while one runs joins it)",
  request: Project.extend({ force: z.boolean().default(false).describe('Parse every file again, not only changed ones') }),
  reply: z.object({ job_id: z.string(), project_id: z.string(), status: z.enum(['started', 'running']).describe('running: an index job was already under way; this is it') }),
});

export const knowledgeJob = defineQuery({
  domain: 'knowledge', name: 'job', description: 'An index job: phase, counts and errors',
  request: Project.extend({ job_id: IndexJobId }), reply: IndexJobView,
});

export const knowledgeStatus = defineQuery({
  domain: 'knowledge', name: 'status', description: "A project's graph: indexed or not, when, its counts, and the last job",
  request: Project,
  reply: z.object({
    project_id: z.string(), indexed: z.boolean(), indexed_at: z.string().nullable(), counts: IndexCounts, modularity: z.number().nullable(),
    job: IndexJobView.nullable().describe('The running job, else the last one'),
  }),
});

export const knowledgeGraphData = defineQuery({
  domain: 'knowledge', name: 'graph_data', description: 'Nodes and the edges among them, a page at a time',
  request: Project.extend({
    label: NodeLabel.optional().describe('Only nodes of this label'),
    community: z.coerce.number().int().min(1).optional().describe('Only members of this community'),
    limit: z.coerce.number().int().min(1).max(5_000).default(300),
    cursor: z.coerce.number().int().min(0).default(0).describe('The next_cursor of the previous page'),
  }),
  reply: z.object({ nodes: z.array(SymbolView), edges: z.array(EdgeView), total: z.number().int(), next_cursor: z.number().int().nullable() }),
});

export const knowledgeCommunities = defineQuery({
  domain: 'knowledge', name: 'communities', description: 'Communities of symbols (Louvain), largest first',
  request: Project, reply: z.object({ communities: z.array(CommunityView), modularity: z.number() }),
});

export const knowledgeProcesses = defineQuery({
  domain: 'knowledge', name: 'processes', description: 'Processes: call chains from entry points',
  request: Project.extend({ steps: z.enum(['true', 'false']).default('false').describe('Include each process\'s steps') }),
  reply: z.object({ processes: z.array(ProcessView) }),
});

export const knowledgeSearch = defineQuery({
  domain: 'knowledge', name: 'search', description: 'Search symbols by name, signature and doc comment (full-text and trigram, ranked)',
  request: Project.extend({
    query: z.string().trim().min(1).max(500),
    limit: z.number().int().min(1).max(100).default(10),
    label: NodeLabel.optional(),
    include_content: z.boolean().default(false).describe('Add each symbol\'s source (up to 40 lines)'),
  }),
  reply: z.object({ results: z.array(SymbolView.extend({ score: z.number(), content: z.string().optional() })) }),
});

export const knowledgeContext = defineQuery({
  domain: 'knowledge', name: 'context', description: "A symbol's callers, callees, imports, community and processes",
  request: Project.extend({ symbol: SymbolName, file: z.string().max(1_000).optional().describe('The file the symbol is in, when its name is ambiguous') }),
  reply: z.object({
    symbol: SymbolView,
    callers: z.array(RelatedSymbol), callees: z.array(RelatedSymbol),
    extends: z.array(RelatedSymbol), implemented_by: z.array(RelatedSymbol),
    imports: z.array(z.string()).describe('Files the symbol\'s file imports'), imported_by: z.array(z.string()),
    community: CommunityView.omit({ top_symbols: true }).nullable(),
    processes: z.array(z.object({ id: z.number().int(), name: z.string(), step: z.number().int() })),
  }),
});

export const knowledgeImpact = defineQuery({
  domain: 'knowledge', name: 'impact', description: 'What a change to a symbol affects (upstream: its callers and subtypes) or depends on (downstream)',
  request: Project.extend({
    target: SymbolName, file: z.string().max(1_000).optional(),
    direction: z.enum(['upstream', 'downstream']).default('upstream'),
    max_depth: z.number().int().min(1).max(10).default(3),
    min_confidence: z.number().min(0).max(1).default(0.7),
  }),
  reply: z.object({
    target: SymbolView, direction: z.enum(['upstream', 'downstream']), risk: Risk,
    summary: z.object({ direct: z.number().int(), total: z.number().int(), affected_processes: z.number().int() }),
    by_depth: z.array(z.object({ depth: z.number().int(), symbols: z.array(RelatedSymbol) })),
    affected_processes: z.array(z.object({ id: z.number().int(), name: z.string() })),
  }),
});

export const knowledgeChanges = defineQuery({
  domain: 'knowledge', name: 'changes', description: "The repository's changes (working tree, or a commit range) mapped to symbols and processes, with risk",
  request: Project.extend({
    base: z.string().regex(/^(?!-)[\w./~^@{}-]{1,200}$/, 'expected a commit, branch or tag').optional().describe('Compare from this commit (default: HEAD, i.e. the working changes)'),
    head: z.string().regex(/^(?!-)[\w./~^@{}-]{1,200}$/, 'expected a commit, branch or tag').optional().describe('Compare to this commit (default: the working tree)'),
  }),
  reply: z.object({
    files: z.array(z.object({ path: z.string(), lines: z.number().int() })),
    changed_symbols: z.array(SymbolView),
    impacted: z.array(RelatedSymbol).describe('Callers of the changed symbols, two calls deep'),
    affected_processes: z.array(z.object({ id: z.number().int(), name: z.string() })),
    risk: Risk,
  }),
});

export const knowledgeCypher = defineQuery({
  domain: 'knowledge', name: 'cypher', description: 'A read-only query in a subset of Cypher',
  request: Project.extend({
    query: z.string().trim().min(1).max(10_000),
    parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number()]))])).default({}),
  }),
  reply: z.object({
    columns: z.array(z.string()), rows: z.array(z.record(z.string(), z.unknown())), row_count: z.number().int(), truncated: z.boolean(),
    markdown: z.string().describe('The rows as a markdown table (the first 100)'),
  }),
});


