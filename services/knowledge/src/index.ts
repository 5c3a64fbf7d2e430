export { knowledgeService } from './service';
export { knowledgeConfigShape, loadKnowledgeConfig, type KnowledgeConfig } from './config';
export { extractFacts } from './parse/extract';
export { languageOf, parserFor } from './parse/languages';
export { scanRepository } from './parse/scan';
export { buildGraph } from './graph/build';
