import type { Bus } from '@cadre/bus';
import {
  AMBIGUOUS_SYMBOL, CadreError, PRINCIPAL_HEADER, knowledgeChanges, knowledgeContext, knowledgeImpact, knowledgeSearch, type Principal,
} from '@cadre/proto';
import { call } from '@cadre/runtime';
import type { AgentTool, ToolContext } from './registry';

// The code graph tools of agents: each asks the knowledge service about the graph of the step's
// run's project, as the run's user (a run of no user acts as the engine does).

const TIMEOUT_MS = 30_000;

function requestOf(ctx: ToolContext): { projectId: string; headers: Record<string, string> } {
  if (ctx.job.project_id === undefined) throw new Error('this run works on no project, so it has no code graph');
  const principal: Principal = ctx.job.user_id !== undefined
    ? { kind: 'service', role: 'member', user_id: ctx.job.user_id, credential_id: 'agents-executor' }
    : { kind: 'service', role: 'admin', credential_id: 'agents-executor' };
  return { projectId: ctx.job.project_id, headers: { [PRINCIPAL_HEADER]: JSON.stringify(principal) } };
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const number = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** An ambiguous name answers the candidates (the model picks one); other errors are the tool's error. */
async function orCandidates<T>(work: () => Promise<T>): Promise<T | { ambiguous: true; message: string; candidates: unknown }> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CadreError && error.code === AMBIGUOUS_SYMBOL.code) {
      return { ambiguous: true, message: error.message, candidates: (error.details as { candidates?: unknown } | undefined)?.candidates ?? [] };
    }
    throw error;
  }
}

/** `code_graph_query`, `code_graph_context`, `code_graph_impact` and `code_graph_changes`, installed in every agents service. */
export function codeGraphTools(bus: Bus): AgentTool[] {
  return [
    {
      name: 'code_graph_query',
      description: "Search the code of the run's project: functions, classes and methods by name, signature and doc comment (ranked).",
      parameters: {
        type: 'object',
        properties: {
          query: { type: 'string', description: 'Words, a name, or part of one' },
          limit: { type: 'integer', minimum: 1, maximum: 50 },
          include_content: { type: 'boolean', description: 'Add each symbol\'s source' },
        },
        required: ['query'],
      },
      async run(args, ctx) {
        const { projectId, headers } = requestOf(ctx);
        return call(bus, knowledgeSearch, {
          project_id: projectId, query: text(args.query) ?? '', limit: number(args.limit) ?? 10, include_content: args.include_content === true,
        }, { headers, timeoutMs: TIMEOUT_MS });
      },
    },
    {
      name: 'code_graph_context',
      description: 'A symbol\'s callers, callees, base types, file imports, community and processes. An ambiguous name answers the candidates.',
      parameters: {
        type: 'object',
        properties: {
          symbol: { type: 'string', description: 'A name, a qualified name (Class.method) or path#Qualified.name' },
          file: { type: 'string', description: 'The file the symbol is in, when its name is ambiguous' },
        },
        required: ['symbol'],
      },
      async run(args, ctx) {
        const { projectId, headers } = requestOf(ctx);
        const file = text(args.file);
        return orCandidates(() => call(bus, knowledgeContext, { project_id: projectId, symbol: text(args.symbol) ?? '', ...(file !== undefined ? { file } : {}) }, { headers, timeoutMs: TIMEOUT_MS }));
      },
    },
    {
      name: 'code_graph_impact',
      description: 'What changing a symbol affects (upstream: callers and subtypes) or relies on (downstream), by depth, with the processes touched and a risk level.',
      parameters: {
        type: 'object',
        properties: {
          target: { type: 'string' },
          file: { type: 'string' },
          direction: { type: 'string', enum: ['upstream', 'downstream'] },
          max_depth: { type: 'integer', minimum: 1, maximum: 10 },
          min_confidence: { type: 'number', minimum: 0, maximum: 1 },
        },
        required: ['target'],
      },
      async run(args, ctx) {
        const { projectId, headers } = requestOf(ctx);
        const file = text(args.file);
        return orCandidates(() => call(bus, knowledgeImpact, {
          project_id: projectId, target: text(args.target) ?? '', ...(file !== undefined ? { file } : {}),
          direction: args.direction === 'downstream' ? 'downstream' : 'upstream', max_depth: number(args.max_depth) ?? 3, min_confidence: number(args.min_confidence) ?? 0.7,
        }, { headers, timeoutMs: TIMEOUT_MS }));
      },
    },
    {
      name: 'code_graph_changes',
      description: "The project repository's changes (working tree, or base..head commits) mapped to the symbols they touch, their callers, processes and a risk level.",
      parameters: {
        type: 'object',
        properties: { base: { type: 'string', description: 'A commit, branch or tag to compare from' }, head: { type: 'string', description: 'A commit to compare to' } },
      },
      async run(args, ctx) {
        const { projectId, headers } = requestOf(ctx);
        const base = text(args.base);
        const head = text(args.head);
        return call(bus, knowledgeChanges, { project_id: projectId, ...(base !== undefined ? { base } : {}), ...(head !== undefined ? { head } : {}) }, { headers, timeoutMs: TIMEOUT_MS });
      },
    },
  ];
}
