import type { MessageDefinition } from '../messages';
import {
  knowledgeChanges, knowledgeCommunities, knowledgeContext, knowledgeCypher, knowledgeGraphData, knowledgeImpact, knowledgeIndex,
  knowledgeJob, knowledgeProcesses, knowledgeSearch, knowledgeStatus,
} from './knowledge';

export * from './schemas';
export * from './errors';
export * from './knowledge';
export * from './events';
export * from './routes';

/** Every command and query the knowledge service answers. */
export const knowledgeMessages: readonly MessageDefinition[] = [
  knowledgeIndex, knowledgeJob, knowledgeStatus, knowledgeGraphData, knowledgeCommunities, knowledgeProcesses, knowledgeSearch,
  knowledgeContext, knowledgeImpact, knowledgeChanges, knowledgeCypher,
];
