import type { Bus } from '@cadre/bus';
import { PRINCIPAL_HEADER, memoryRate, memoryRecall, memoryRemember, type Principal, type StepJob } from '@cadre/proto';
import { call } from '@cadre/runtime';
import type { AgentTool, ToolContext } from './registry';

// The memory tools of agents: each calls the memory service over the bus for the step's run,
// in the name of the run's user (the executor's credential acts as the engine does).

const EXECUTOR: Principal = { kind: 'service', role: 'admin', credential_id: 'agents-executor' };
const headers = { [PRINCIPAL_HEADER]: JSON.stringify(EXECUTOR) };
const TIMEOUT_MS = 15_000;

/**
 * The run a tool call is for, and its user: memories are a user's, so a run of no user (one the
 * engine credential started) has none to read or write.
 */
function runOf(ctx: ToolContext): { user_id: string; run_id: string; step_id: string } {
  if (ctx.job.user_id === undefined) throw new Error('this run belongs to no user, so it has no memories');
  return { user_id: ctx.job.user_id, run_id: ctx.job.run_id, step_id: ctx.job.step_id };
}
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * The agent's memories most relevant to a step's input (the hybrid search of its vault and the
 * shared one), as a block for its system prompt; empty when there are none or the memory
 * service does not answer in time — a step never waits long or fails for it.
 */
export async function memoryLessons(bus: Bus, job: StepJob, limit = 5): Promise<string> {
  if (job.user_id === undefined) return '';
  try {
    const found = await call(bus, memoryRecall, {
      agent_id: job.agent_id, query: job.input.slice(0, 1000), limit, log: false, user_id: job.user_id, run_id: job.run_id, step_id: job.step_id,
    }, { headers, timeoutMs: 5_000 });
    if (found.results.length === 0) return '';
    const lines = found.results.map((hit) => `- [${hit.id}] ${hit.title}: ${hit.snippet.replace(/\s+/g, ' ').replace(/\*\*/g, '')}`);
    return `\n\n## From your memory\n\nMemories that may help with this step (recall finds more; rate_memories says which helped):\n${lines.join('\n')}`;
  } catch {
    return '';
  }
}

/** `remember`, `recall` and `rate_memories`, installed in every agents service beside the caller's tools. */
export function memoryTools(bus: Bus): AgentTool[] {
  return [
    {
      name: 'remember',
      description: 'Save a memory to your vault (or, with shared: true, to the vault every agent reads): a short title, a markdown body '
        + '(link other memories with [[Their Title]]), a type and tags.',
      parameters: {
        type: 'object',
        properties: {
          title: { type: 'string', description: 'A short title' },
          body: { type: 'string', description: 'What to remember, in markdown' },
          type: { type: 'string', enum: ['lesson', 'decision', 'pattern', 'fact', 'preference', 'handoff', 'commitment', 'relationship'] },
          tags: { type: 'array', items: { type: 'string' } },
          shared: { type: 'boolean', description: 'Save to the shared vault' },
        },
        required: ['title', 'body'],
      },
      async run(args, ctx) {
        const saved = await call(bus, memoryRemember, {
          agent_id: args.shared === true ? 'shared' : ctx.job.agent_id, title: text(args.title) ?? '', body: text(args.body) ?? '',
          ...(text(args.type) !== undefined ? { type: text(args.type) as never } : {}),
          ...(Array.isArray(args.tags) ? { tags: args.tags.map(String) } : {}),
          ...runOf(ctx),
        }, { headers, timeoutMs: TIMEOUT_MS });
        return { id: saved.id, vault: saved.agent_id, created: saved.created };
      },
    },
    {
      name: 'recall',
      description: 'Search your memories and the shared vault (keywords, phrases in quotes, -exclusions, or a question); '
        + 'afterwards say which ones helped with rate_memories.',
      parameters: {
        type: 'object',
        properties: { query: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 20 } },
        required: ['query'],
      },
      async run(args, ctx) {
        const found = await call(bus, memoryRecall, {
          agent_id: ctx.job.agent_id, query: text(args.query) ?? '', ...(typeof args.limit === 'number' ? { limit: args.limit } : {}), ...runOf(ctx),
        }, { headers, timeoutMs: TIMEOUT_MS });
        if (found.results.length === 0) return { memories: [], note: 'nothing found; the gap is recorded' };
        return { memories: found.results.map((hit) => ({ id: hit.id, title: hit.title, vault: hit.agent_id, snippet: hit.snippet, match: hit.match, score: hit.scores.final })) };
      },
    },
    {
      name: 'rate_memories',
      description: 'Say which recalled memories were useful (and which were not): this tunes what recall surfaces next time.',
      parameters: {
        type: 'object',
        properties: {
          ratings: {
            type: 'array',
            items: { type: 'object', properties: { memory_id: { type: 'string' }, useful: { type: 'boolean' } }, required: ['memory_id', 'useful'] },
          },
        },
        required: ['ratings'],
      },
      async run(args, ctx) {
        const ratings = Array.isArray(args.ratings) ? args.ratings as Array<{ memory_id: string; useful: boolean }> : [];
        const rated = await call(bus, memoryRate, { agent_id: ctx.job.agent_id, ratings, ...runOf(ctx) }, { headers, timeoutMs: TIMEOUT_MS });
        return { scores: rated.scores.map((s) => ({ memory_id: s.memory_id, adaptive_score: s.adaptive_score, valuations: s.valuation_count })) };
      },
    },
  ];
}
