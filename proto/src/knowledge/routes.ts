import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../http/route';
import {
  knowledgeChanges, knowledgeCommunities, knowledgeContext, knowledgeCypher, knowledgeGraphData, knowledgeImpact, knowledgeIndex,
  knowledgeJob, knowledgeProcesses, knowledgeSearch, knowledgeStatus,
} from './knowledge';
import { IndexJobId, KgProjectId } from './schemas';

// Routes of the code knowledge graph (seed 002: Code Knowledge Graph).
const Project = z.object({ project_id: KgProjectId });
const tags = ['knowledge'];
// The seed writes `{id}`; Cadre's project routes name it `{project_id}`.
const base = '/v1/projects/{project_id}/knowledge-graph';

export const knowledgeRoutes: readonly RouteDefinition[] = [
  defineRoute({
    method: 'get', path: `${base}/status`, operationId: 'getKnowledgeGraphStatus', summary: 'Index status of a project\'s graph',
    tags, access: 'user', params: Project, response: knowledgeStatus.reply, successStatus: 200, message: knowledgeStatus,
  }),
  defineRoute({
    method: 'post', path: `${base}/index`, operationId: 'indexKnowledgeGraph', summary: 'Index the project\'s repository (a job)',
    tags, access: 'user', params: Project, body: knowledgeIndex.request.omit({ project_id: true }),
    response: knowledgeIndex.reply, successStatus: 202, message: knowledgeIndex, errors: [422],
  }),
  defineRoute({
    method: 'get', path: `${base}/index/{job_id}`, operationId: 'getKnowledgeGraphJob', summary: 'An index job\'s progress',
    tags, access: 'user', params: Project.extend({ job_id: IndexJobId }), response: knowledgeJob.reply, successStatus: 200, message: knowledgeJob,
  }),
  defineRoute({
    method: 'get', path: `${base}/graph-data`, operationId: 'getKnowledgeGraphData', summary: 'Nodes and edges, paginated, by label or community',
    tags, access: 'user', params: Project, query: knowledgeGraphData.request.omit({ project_id: true }),
    response: knowledgeGraphData.reply, successStatus: 200, message: knowledgeGraphData, errors: [409],
  }),
  defineRoute({
    method: 'get', path: `${base}/communities`, operationId: 'listKnowledgeGraphCommunities', summary: 'Communities (Louvain)',
    tags, access: 'user', params: Project, response: knowledgeCommunities.reply, successStatus: 200, message: knowledgeCommunities, errors: [409],
  }),
  defineRoute({
    method: 'get', path: `${base}/processes`, operationId: 'listKnowledgeGraphProcesses', summary: 'Processes from entry points',
    tags, access: 'user', params: Project, query: knowledgeProcesses.request.omit({ project_id: true }),
    response: knowledgeProcesses.reply, successStatus: 200, message: knowledgeProcesses, errors: [409],
  }),
  defineRoute({
    method: 'post', path: `${base}/query`, operationId: 'searchKnowledgeGraph', summary: 'Search symbols',
    tags, access: 'user', params: Project, body: knowledgeSearch.request.omit({ project_id: true }),
    response: knowledgeSearch.reply, successStatus: 200, message: knowledgeSearch, errors: [409],
  }),
  defineRoute({
    method: 'get', path: `${base}/context/{symbol}`, operationId: 'getKnowledgeGraphContext', summary: 'A symbol\'s context',
    tags, access: 'user', params: Project.extend({ symbol: knowledgeContext.request.shape.symbol }), query: z.object({ file: knowledgeContext.request.shape.file }),
    response: knowledgeContext.reply, successStatus: 200, message: knowledgeContext, errors: [404, 409],
  }),
  defineRoute({
    method: 'post', path: `${base}/impact`, operationId: 'getKnowledgeGraphImpact', summary: 'Impact analysis',
    tags, access: 'user', params: Project, body: knowledgeImpact.request.omit({ project_id: true }),
    response: knowledgeImpact.reply, successStatus: 200, message: knowledgeImpact, errors: [404, 409],
  }),
  defineRoute({
    method: 'get', path: `${base}/changes`, operationId: 'getKnowledgeGraphChanges', summary: 'Changes mapped to symbols and processes',
    tags, access: 'user', params: Project, query: knowledgeChanges.request.omit({ project_id: true }),
    response: knowledgeChanges.reply, successStatus: 200, message: knowledgeChanges, errors: [409, 422],
  }),
  defineRoute({
    method: 'post', path: `${base}/cypher`, operationId: 'queryKnowledgeGraphCypher', summary: 'A read-only query (a subset of Cypher)',
    tags, access: 'user', params: Project, body: knowledgeCypher.request.omit({ project_id: true }),
    response: knowledgeCypher.reply, successStatus: 200, message: knowledgeCypher, errors: [409, 422],
  }),
];
