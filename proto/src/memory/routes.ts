import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../http/route';
import {
  documentDelete, documentGet, documentIngest, documentList, documentSearch, documentSection, documentToc, transcriptIngest,
} from './documents';
import {
  memoryDelete, memoryEmbeddings, memoryGet, memoryGraph, memoryImport, memoryImportGet, memoryRemember, memoryScoreSettingsGet,
  memoryScoreSettingsUpdate, memoryScoreUpdate, memoryScores, memorySearch, memorySharedSearch, memoryUpdate, memoryVault, memoryVaults, memoryGaps,
} from './memory';
import { memoryEmbeddingProviderGet, memoryEmbeddingProviderRemove, memoryEmbeddingProviderUpdate } from './embeddings';
import { MemoryId, VaultId } from './schemas';

// Routes of the memory service (seed 002: Memory, Memory Scores, Documents, Ingest), and what
// users of a vault expect beyond the seed: one memory's create/read/update/delete, imports and
// the link graph. Fixed paths come before templated ones of the same shape.

const VaultParam = z.object({ agent_id: VaultId });
const MemoryParams = z.object({ agent_id: VaultId, memory_id: MemoryId });
const DocParam = z.object({ id: documentToc.request.shape.id });
const tags = ['memory'];

export const memoryRoutes: readonly RouteDefinition[] = [
  defineRoute({
    method: 'get', path: '/v1/memory/vaults', operationId: 'listVaults', summary: 'List vaults with their counts',
    tags, access: 'user', response: memoryVaults.reply, successStatus: 200, message: memoryVaults,
  }),
  defineRoute({
    method: 'get', path: '/v1/memory/vaults/{agent_id}', operationId: 'getVault', summary: 'A vault\'s memories (paginated, by type or tag)',
    tags, access: 'user', params: VaultParam, query: memoryVault.request.omit({ agent_id: true }),
    response: memoryVault.reply, successStatus: 200, message: memoryVault,
  }),
  defineRoute({
    method: 'post', path: '/v1/memory/vaults/{agent_id}/memories', operationId: 'rememberMemory', summary: 'Save a memory',
    tags, access: 'user', params: VaultParam, body: memoryRemember.request.omit({ agent_id: true, user_id: true, run_id: true, step_id: true }),
    response: memoryRemember.reply, successStatus: 201, message: memoryRemember,
  }),
  defineRoute({
    method: 'get', path: '/v1/memory/vaults/{agent_id}/memories/{memory_id}', operationId: 'getMemory', summary: 'Read a memory',
    tags, access: 'user', params: MemoryParams, response: memoryGet.reply, successStatus: 200, message: memoryGet,
  }),
  defineRoute({
    method: 'put', path: '/v1/memory/vaults/{agent_id}/memories/{memory_id}', operationId: 'updateMemory', summary: 'Change a memory',
    tags, access: 'user', params: MemoryParams, body: memoryUpdate.request.omit({ agent_id: true, memory_id: true }),
    response: memoryUpdate.reply, successStatus: 200, message: memoryUpdate,
  }),
  defineRoute({
    method: 'delete', path: '/v1/memory/vaults/{agent_id}/memories/{memory_id}', operationId: 'deleteMemory', summary: 'Delete a memory',
    tags, access: 'user', params: MemoryParams, response: memoryDelete.reply, successStatus: 200, message: memoryDelete,
  }),
  defineRoute({
    method: 'post', path: '/v1/memory/vaults/{agent_id}/import', operationId: 'importMemories', summary: 'Import markdown files (several, or a zip)',
    tags, access: 'user', params: VaultParam, body: memoryImport.request.omit({ agent_id: true }),
    response: memoryImport.reply, successStatus: 202, message: memoryImport,
  }),
  defineRoute({
    method: 'get', path: '/v1/memory/vaults/{agent_id}/graph', operationId: 'getVaultGraph', summary: 'The wiki-link graph of a vault (or one memory\'s neighbours)',
    tags, access: 'user', params: VaultParam, query: memoryGraph.request.omit({ agent_id: true }),
    response: memoryGraph.reply, successStatus: 200, message: memoryGraph,
  }),
  defineRoute({
    method: 'get', path: '/v1/memory/vaults/{agent_id}/gaps', operationId: 'getMemoryGaps', summary: 'What an agent recalled and did not find',
    tags, access: 'user', params: VaultParam, query: memoryGaps.request.omit({ agent_id: true }),
    response: memoryGaps.reply, successStatus: 200, message: memoryGaps,
  }),
  defineRoute({
    method: 'get', path: '/v1/memory/imports/{import_id}', operationId: 'getMemoryImport', summary: 'Progress of an import',
    tags, access: 'user', params: memoryImportGet.request, response: memoryImportGet.reply, successStatus: 200, message: memoryImportGet,
  }),
  defineRoute({
    method: 'get', path: '/v1/memory/search', operationId: 'searchMemory', summary: 'Hybrid search of memories',
    tags, access: 'user', query: memorySearch.request, response: memorySearch.reply, successStatus: 200, message: memorySearch,
  }),
  defineRoute({
    method: 'get', path: '/v1/memory/shared', operationId: 'searchSharedMemory', summary: 'Hybrid search of the shared vault',
    tags, access: 'user', query: memorySharedSearch.request, response: memorySharedSearch.reply, successStatus: 200, message: memorySharedSearch,
  }),
  defineRoute({
    method: 'get', path: '/v1/memory/embeddings', operationId: 'getMemoryEmbeddings', summary: 'The embedding model and how many memories carry its vectors',
    tags, access: 'user', response: memoryEmbeddings.reply, successStatus: 200, message: memoryEmbeddings,
  }),
  defineRoute({
    method: 'get', path: '/v1/memory/embeddings/provider', operationId: 'getMemoryEmbeddingProvider', summary: 'The embeddings provider at work (admins; never its key)',
    tags, access: 'admin', response: memoryEmbeddingProviderGet.reply, successStatus: 200, message: memoryEmbeddingProviderGet,
  }),
  defineRoute({
    method: 'put', path: '/v1/memory/embeddings/provider', operationId: 'setMemoryEmbeddingProvider',
    summary: 'Set the embeddings provider (admins): base URL, model, dimensions, key (sealed at rest); every replica uses it from its next search',
    tags, access: 'admin', body: memoryEmbeddingProviderUpdate.request, response: memoryEmbeddingProviderUpdate.reply, successStatus: 200, message: memoryEmbeddingProviderUpdate,
  }),
  defineRoute({
    method: 'delete', path: '/v1/memory/embeddings/provider', operationId: 'deleteMemoryEmbeddingProvider',
    summary: 'Remove the provider set through the API (admins): the environment\'s MEMORY_EMBEDDINGS_* applies again',
    tags, access: 'admin', response: memoryEmbeddingProviderRemove.reply, successStatus: 200, message: memoryEmbeddingProviderRemove,
  }),
  defineRoute({
    method: 'get', path: '/v1/memory-scores/settings', operationId: 'getMemoryScoreSettings', summary: 'Get scoring settings',
    tags: ['memory-scores'], access: 'user', response: memoryScoreSettingsGet.reply, successStatus: 200, message: memoryScoreSettingsGet,
  }),
  defineRoute({
    method: 'put', path: '/v1/memory-scores/settings', operationId: 'updateMemoryScoreSettings', summary: 'Update scoring settings (`reset: true` restores the defaults)',
    tags: ['memory-scores'], access: 'admin', body: memoryScoreSettingsUpdate.request,
    response: memoryScoreSettingsUpdate.reply, successStatus: 200, message: memoryScoreSettingsUpdate,
  }),
  defineRoute({
    method: 'get', path: '/v1/memory-scores/{agent_id}', operationId: 'getMemoryScores', summary: 'Get memory scores',
    tags: ['memory-scores'], access: 'user', params: VaultParam, query: memoryScores.request.omit({ agent_id: true }),
    response: memoryScores.reply, successStatus: 200, message: memoryScores,
  }),
  defineRoute({
    method: 'put', path: '/v1/memory-scores/{agent_id}/{entry}', operationId: 'updateMemoryScore', summary: 'Value a memory (useful or not)',
    tags: ['memory-scores'], access: 'user', params: z.object({ agent_id: VaultId, entry: MemoryId }), body: z.object({ useful: z.boolean() }),
    response: memoryScoreUpdate.reply, successStatus: 200, message: memoryScoreUpdate,
  }),
  defineRoute({
    method: 'post', path: '/v1/ingest/document', operationId: 'ingestDocument', summary: 'Submit a document for processing',
    tags: ['documents'], access: 'user', body: documentIngest.request, response: documentIngest.reply, successStatus: 201, message: documentIngest,
  }),
  defineRoute({
    method: 'post', path: '/v1/ingest/transcript', operationId: 'ingestTranscript', summary: 'Submit a meeting transcript',
    tags: ['documents'], access: 'user', body: transcriptIngest.request, response: transcriptIngest.reply, successStatus: 201, message: transcriptIngest,
  }),
  defineRoute({
    method: 'get', path: '/v1/documents', operationId: 'listDocuments', summary: 'List ingested documents',
    tags: ['documents'], access: 'user', query: documentList.request, response: documentList.reply, successStatus: 200, message: documentList,
  }),
  defineRoute({
    method: 'get', path: '/v1/documents/search', operationId: 'searchDocuments', summary: 'Search across document sections',
    tags: ['documents'], access: 'user', query: documentSearch.request, response: documentSearch.reply, successStatus: 200, message: documentSearch,
  }),
  defineRoute({
    method: 'get', path: '/v1/documents/{id}/toc', operationId: 'getDocumentToc', summary: 'Get table of contents',
    tags: ['documents'], access: 'user', params: DocParam, response: documentToc.reply, successStatus: 200, message: documentToc,
  }),
  defineRoute({
    method: 'get', path: '/v1/documents/{id}/section', operationId: 'getDocumentSection', summary: 'Read a section (by heading path or id)',
    tags: ['documents'], access: 'user', params: DocParam, query: documentSection.request.omit({ id: true }),
    response: documentSection.reply, successStatus: 200, message: documentSection,
  }),
  defineRoute({
    method: 'get', path: '/v1/documents/{id}', operationId: 'getDocument', summary: 'An ingested document and its status',
    tags: ['documents'], access: 'user', params: DocParam, response: documentGet.reply, successStatus: 200, message: documentGet,
  }),
  defineRoute({
    method: 'delete', path: '/v1/documents/{id}', operationId: 'deleteDocument', summary: 'Delete a document',
    tags: ['documents'], access: 'user', params: DocParam, response: documentDelete.reply, successStatus: 200, message: documentDelete,
  }),
];
