import type { MessageDefinition } from '../messages';
import { agentConfigUpdate, agentGet, agentList, agentRuns, agentToolRemove, agentToolSet, agentToolsGet } from './agents';
import { llmCallGet, llmCallList, llmCallSummary, usageHistory, usageSummary } from './llm-calls';
import { providerKeys, providerList, providerUpdate } from './providers';

// Only the agents-specific shapes: generic helpers (Empty, …) stay internal.
export {
  AgentId, AgentLimits, AgentRunView, AgentToolView, AgentView, LlmCallView, ProviderId, ProviderView, ToolName, UsageTotals,
} from './schemas';
export * from './agents';
export * from './llm-calls';
export * from './providers';
export * from './events';
export * from './routes';

/** Every command and query the agents service answers. */
export const agentsMessages: readonly MessageDefinition[] = [
  agentList, agentGet, agentRuns, agentConfigUpdate, agentToolsGet, agentToolSet, agentToolRemove,
  llmCallList, llmCallSummary, llmCallGet, usageSummary, usageHistory,
  providerList, providerUpdate, providerKeys,
];
