import type { RequestHandler } from '@cadre/bus';
import {
  SHARED_VAULT, ValidationError, memoryEmbeddings, memoryRate, memoryRecall, memoryScoreSettingsGet, memoryScoreSettingsUpdate,
  memoryGaps, memoryScoreUpdate, memoryScores, memorySearch, memorySharedSearch,
  memoryEmbeddingProviderGet, memoryEmbeddingProviderRemove, memoryEmbeddingProviderUpdate,
} from '@cadre/proto';
import { handleCommand } from '@cadre/eventstore';
import { endpoint, metaOf, requireAccess, requireAdmin, type Call } from '@cadre/runtime';
import type { MemoryContext } from '../context';
import { loadMemoryRow } from '../memory/commands';
import { inTransaction } from '../memory/rows';
import { agentScores } from '../scores/read';
import { applyScoreEvent } from '../scores/rows';
import { SCORE_SETTINGS_STREAM, readSettings, settingsDecider } from '../scores/settings';
import { searchMemories } from '../search/hybrid';
import { actingUser, memoryNotFound, readScope } from './access';

function queryOf(request: { query?: string | undefined; q?: string | undefined }): string {
  const query = request.query ?? request.q;
  if (query === undefined) throw new ValidationError('query (or q) is required', { fields: { query: 'Required' } });
  return query;
}

/** The log stream of an agent's recalls and valuations (a log: no rule, appended as is). */
const logStream = (agentId: string) => `memory-log-${agentId}`;

/** Search, recall, valuations, the adaptive scores and their settings, the embeddings' state. */
export function searchEndpoints(ctx: MemoryContext): ReadonlyArray<readonly [string, RequestHandler]> {
  /** Appends log events and counts them into the score tables before replying (read-your-writes). */
  async function log(agentId: string, owner: string | undefined, call: Call, events: ReadonlyArray<{ type: string; data: Record<string, unknown> }>): Promise<void> {
    const { events: appended } = await ctx.store.append(logStream(agentId), 'any', events.map((event) => ({
      ...event, meta: { ...metaOf(call), ...(owner !== undefined ? { owner } : {}) },
    })), { subjectScope: agentId });
    await inTransaction(ctx.pool, async (execute) => {
      for (const event of appended) await applyScoreEvent(execute, ctx.schema, event);
    });
  }

  return [
    endpoint(memorySearch, async (request, call) => searchMemories(ctx.search, {
      query: queryOf(request), limit: request.limit,
      scope: {
        ...readScope(call, undefined),
        ...(request.agent_id !== undefined ? { vaults: [request.agent_id, SHARED_VAULT] } : {}),
        ...(request.type !== undefined ? { type: request.type } : {}),
      },
      ...(request.agent_id !== undefined ? { scoreAgent: request.agent_id } : {}),
    })),

    endpoint(memorySharedSearch, async (request, call) => searchMemories(ctx.search, {
      query: queryOf(request), limit: request.limit,
      scope: { ...readScope(call, undefined), vaults: [SHARED_VAULT], ...(request.type !== undefined ? { type: request.type } : {}) },
    })),

    endpoint(memoryRecall, async (request, call) => {
      const scope = readScope(call, request.user_id);
      const owner = actingUser(call, request.user_id);
      const result = await searchMemories(ctx.search, {
        query: request.query, limit: request.limit, scope: { ...scope, vaults: [request.agent_id, SHARED_VAULT] }, scoreAgent: request.agent_id,
      });
      if (!request.log) return result;
      const run = { ...(request.run_id !== undefined ? { run_id: request.run_id } : {}), ...(request.step_id !== undefined ? { step_id: request.step_id } : {}) };
      await log(request.agent_id, owner, call, result.results.length > 0
        ? [{ type: 'memory_retrieved', data: {
            agent_id: request.agent_id, query: request.query, ...run,
            hits: result.results.map((hit) => ({ memory_id: hit.id, match: hit.match, raw_score: hit.scores.fused, final_score: hit.scores.final })),
          } }]
        : [{ type: 'memory_gap', data: { agent_id: request.agent_id, query: request.query, ...(request.run_id !== undefined ? { run_id: request.run_id } : {}) } }]);
      return result;
    }),

    endpoint(memoryRate, async (request, call) => {
      const owner = actingUser(call, request.user_id);
      for (const rating of request.ratings) {
        const row = await loadMemoryRow(ctx, rating.memory_id);
        if (row === undefined || row.deleted) throw memoryNotFound(rating.memory_id);
        if (request.user_id !== undefined ? row.owner !== request.user_id : false) throw memoryNotFound(rating.memory_id);
        if (request.user_id === undefined) requireAccess(call, row.owner ?? undefined, () => memoryNotFound(rating.memory_id));
      }
      await log(request.agent_id, owner, call, request.ratings.map((rating) => ({
        type: 'memory_valued',
        data: { agent_id: request.agent_id, memory_id: rating.memory_id, useful: rating.useful, ...(request.run_id !== undefined ? { run_id: request.run_id } : {}) },
      })));
      const scores = await agentScores(ctx.pool, ctx.schema, request.agent_id, readScope(call, request.user_id).owner, await readSettings(ctx.store), ctx.clock(),
        { memoryIds: request.ratings.map((r) => r.memory_id) });
      return { scores };
    }),

    endpoint(memoryScores, async (request, call) => ({
      agent_id: request.agent_id,
      scores: await agentScores(ctx.pool, ctx.schema, request.agent_id, readScope(call, undefined).owner, await readSettings(ctx.store), ctx.clock(), { limit: request.limit }),
    })),

    endpoint(memoryScoreUpdate, async (request, call) => {
      const row = await loadMemoryRow(ctx, request.entry);
      if (row === undefined || row.deleted) throw memoryNotFound(request.entry);
      requireAccess(call, row.owner ?? undefined, () => memoryNotFound(request.entry));
      await log(request.agent_id, actingUser(call, undefined), call, [{ type: 'memory_valued', data: { agent_id: request.agent_id, memory_id: request.entry, useful: request.useful } }]);
      const [score] = await agentScores(ctx.pool, ctx.schema, request.agent_id, readScope(call, undefined).owner, await readSettings(ctx.store), ctx.clock(),
        { memoryIds: [request.entry] });
      return score!;
    }),

    endpoint(memoryGaps, async (request, call) => {
      const scope = readScope(call, undefined);
      const { rows } = await ctx.pool.query<{ query: string; run_id: string | null; created_at: Date }>(
        `select query, run_id, created_at from "${ctx.schema}".memory_gaps where agent_id = $1 and ($2::text is null or owner = $2)
         order by created_at desc limit $3`, [request.agent_id, scope.owner ?? null, request.limit],
      );
      return { agent_id: request.agent_id, gaps: rows.map((row) => ({ query: row.query, run_id: row.run_id, created_at: row.created_at.toISOString() })) };
    }),

    endpoint(memoryScoreSettingsGet, async () => readSettings(ctx.store)),

    endpoint(memoryScoreSettingsUpdate, async (request, call) => {
      requireAdmin(call);
      const { reset, ...patch } = request;
      const outcome = await handleCommand(ctx.store, settingsDecider, {
        stream: SCORE_SETTINGS_STREAM, command: reset === true ? { kind: 'reset' } : { kind: 'update', patch }, meta: metaOf(call),
      });
      return outcome.result;
    }),

    endpoint(memoryEmbeddingProviderGet, async (_request, call) => {
      requireAdmin(call);
      return ctx.providers.view();
    }),

    endpoint(memoryEmbeddingProviderUpdate, async (request, call) => {
      requireAdmin(call);
      return ctx.providers.set(request, metaOf(call));
    }),

    endpoint(memoryEmbeddingProviderRemove, async (_request, call) => {
      requireAdmin(call);
      return ctx.providers.remove(metaOf(call));
    }),

    endpoint(memoryEmbeddings, async (_request, call) => {
      readScope(call, undefined);
      const embeddings = await ctx.embeddings();
      if (embeddings === undefined) {
        const { rows } = await ctx.pool.query<{ n: string }>(`select count(*) as n from "${ctx.schema}".memories where not deleted`);
        const memories = Number(rows[0]!.n);
        return { configured: false, model: null, dimensions: null, memories, embedded: 0, pending: memories, other_models: {}, index: null };
      }
      const progress = await embeddings.memories.embedder.progress();
      const dims = await ctx.pool.query<{ d: number }>(`select dimensions as d from "${ctx.schema}".memory_vectors where model = $1 limit 1`, [embeddings.provider.model]);
      return {
        configured: true, model: embeddings.provider.model, dimensions: dims.rows[0]?.d ?? null, memories: progress.memories,
        embedded: progress.embedded, pending: progress.pending, other_models: progress.otherModels, index: embeddings.backend,
      };
    }),
  ];
}
