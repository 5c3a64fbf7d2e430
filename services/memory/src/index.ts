export { memoryService, type MemoryServiceOptions } from './service';
export { loadMemoryConfig, memoryConfigShape, type MemoryConfig } from './config';
export { createOpenAiEmbeddings, type EmbeddingProvider, type OpenAiEmbeddingsOptions } from './embeddings/provider';
export { adaptiveScore, blend, DEFAULT_SCORE_SETTINGS } from './scores/formula';
