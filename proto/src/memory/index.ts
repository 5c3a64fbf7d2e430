import type { MessageDefinition } from '../messages';
import {
  documentDelete, documentGet, documentIngest, documentList, documentSearch, documentSection, documentToc, transcriptIngest,
} from './documents';
import {
  memoryDelete, memoryEmbeddings, memoryGet, memoryGraph, memoryImport, memoryImportGet, memoryRate, memoryRecall, memoryRemember,
  memoryScoreSettingsGet, memoryScoreSettingsUpdate, memoryScoreUpdate, memoryScores, memorySearch, memorySharedSearch, memoryUpdate,
  memoryVault, memoryVaults, memoryGaps,
} from './memory';
import { memoryEmbeddingProviderGet, memoryEmbeddingProviderRemove, memoryEmbeddingProviderUpdate } from './embeddings';

export * from './schemas';
export * from './memory';
export * from './documents';
export * from './embeddings';
export * from './events';
export * from './routes';

/** Every command and query the memory service answers. */
export const memoryMessages: readonly MessageDefinition[] = [
  memoryVaults, memoryVault, memoryRemember, memoryGet, memoryUpdate, memoryDelete, memoryImport, memoryImportGet, memoryGraph,
  memorySearch, memorySharedSearch, memoryRecall, memoryRate, memoryScores, memoryScoreUpdate, memoryScoreSettingsGet,
  memoryScoreSettingsUpdate, memoryEmbeddings, memoryGaps, memoryEmbeddingProviderGet, memoryEmbeddingProviderUpdate, memoryEmbeddingProviderRemove,
  documentIngest, transcriptIngest, documentList, documentToc, documentSection, documentDelete, documentSearch, documentGet,
];
