import { DomainError, GRAPH_NOT_INDEXED, NotFoundError, PRINCIPAL_HEADER, REQUEST_ID_HEADER, projectGet } from '@cadre/proto';
import { call as send, requireAccess, type Call } from '@cadre/runtime';
import type { KnowledgeContext } from '../context';
import { graphRow, type GraphRow } from '../storage/graph-store';

const TIMEOUT_MS = 10_000;

/** Headers of a request to another service made for the caller (their principal and request id). */
export function actingFor(call: Call): Record<string, string> {
  return {
    ...(call.principal !== undefined ? { [PRINCIPAL_HEADER]: JSON.stringify(call.principal) } : {}),
    ...(call.requestId !== undefined ? { [REQUEST_ID_HEADER]: call.requestId } : {}),
  };
}

export const projectNotFound = (projectId: string): NotFoundError => new NotFoundError(`no project '${projectId}'`);

/** The project as the caller may see it (the projects service answers 404 for another user's). */
export function projectFor(ctx: KnowledgeContext, call: Call, projectId: string) {
  return send(ctx.bus, projectGet, { project_id: projectId }, { headers: actingFor(call), timeoutMs: TIMEOUT_MS });
}

/**
 * The project's stored graph, for a caller who may read it: 404 for an unknown project or another
 * user's, 409 `graph_not_indexed` for a project of theirs with no graph yet.
 */
export async function graphFor(ctx: KnowledgeContext, call: Call, projectId: string): Promise<GraphRow> {
  const row = await graphRow(ctx.pool, ctx.schema, projectId);
  if (row !== undefined) {
    requireAccess(call, row.owner ?? undefined, () => projectNotFound(projectId));
    return row;
  }
  await projectFor(ctx, call, projectId);
  throw new DomainError(GRAPH_NOT_INDEXED, `project '${projectId}' has no knowledge graph yet: index it first (POST /v1/projects/${projectId}/knowledge-graph/index)`);
}
