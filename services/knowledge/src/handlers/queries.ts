import { knowledgeChanges, knowledgeContext, knowledgeCypher, knowledgeImpact, knowledgeSearch } from '@cadre/proto';
import { endpoint } from '@cadre/runtime';
import type { KnowledgeContext } from '../context';
import { runCypher } from '../cypher/run';
import { changesOf } from '../query/changes';
import { contextOf } from '../query/context';
import { impactOf } from '../query/impact';
import { searchSymbols } from '../query/search';
import { findSymbol } from '../query/symbols';
import { graphFor } from './access';

/** Search, context, impact, changes and the read-only query language. */
export function queryEndpoints(ctx: KnowledgeContext) {
  return [
    endpoint(knowledgeSearch, async (request, call) => {
      const graph = await graphFor(ctx, call, request.project_id);
      return searchSymbols(ctx.pool, ctx.schema, request.project_id, graph.root, {
        query: request.query, limit: request.limit, includeContent: request.include_content, ...(request.label !== undefined ? { label: request.label } : {}),
      });
    }),

    endpoint(knowledgeContext, async ({ project_id: projectId, symbol, file }, call) => {
      await graphFor(ctx, call, projectId);
      const found = await findSymbol(ctx.pool, ctx.schema, projectId, symbol, file);
      return contextOf(ctx.pool, ctx.schema, projectId, found);
    }),

    endpoint(knowledgeImpact, async (request, call) => {
      await graphFor(ctx, call, request.project_id);
      const target = await findSymbol(ctx.pool, ctx.schema, request.project_id, request.target, request.file);
      return impactOf(ctx.pool, ctx.schema, request.project_id, target, {
        direction: request.direction, maxDepth: request.max_depth, minConfidence: request.min_confidence,
      });
    }),

    endpoint(knowledgeChanges, async ({ project_id: projectId, base, head }, call) => {
      const graph = await graphFor(ctx, call, projectId);
      return changesOf(ctx.pool, ctx.schema, projectId, graph.root, { ...(base !== undefined ? { base } : {}), ...(head !== undefined ? { head } : {}) });
    }),

    endpoint(knowledgeCypher, async ({ project_id: projectId, query, parameters }, call) => {
      await graphFor(ctx, call, projectId);
      return runCypher(ctx.pool, query, {
        schema: ctx.schema, projectId, parameters, maxRows: ctx.config.KNOWLEDGE_QUERY_MAX_ROWS, timeoutMs: ctx.config.KNOWLEDGE_QUERY_TIMEOUT_MS,
      });
    }),
  ];
}
