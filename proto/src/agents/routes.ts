import { z } from 'zod';
import { agentConfigUpdate, agentGet, agentList, agentRuns, agentToolRemove, agentToolSet, agentToolsGet } from './agents';
import { llmCallGet, llmCallList, llmCallSummary, usageHistory, usageSummary } from './llm-calls';
import { providerKeys, providerList, providerUpdate } from './providers';
import { AgentId, ProviderId, ToolName } from './schemas';
import { defineRoute, type RouteDefinition } from '../http/route';

// Routes of the agents service (seed 002: Agents, Agent Tools, LLM Call Logs, User Usage,
// Settings/providers). payload = { ...params, ...query, ...body }, so a path parameter is named
// like the request field it fills and no body repeats it. Fixed paths come before templated
// ones of the same shape (`/llm-calls/summary` before `/llm-calls/{id}`).

const IdParam = z.object({ id: AgentId });
const AgentParam = z.object({ agent_id: AgentId });
const ToolParams = z.object({ agent_id: AgentId, tool: ToolName });
const bodyOf = <T extends z.ZodObject>(schema: T, ...omit: readonly string[]) =>
  schema.omit(Object.fromEntries(omit.map((key) => [key, true])) as never);

export const agentListRoute = defineRoute({
  method: 'get', path: '/v1/agents', operationId: 'listAgents', summary: 'List agents',
  tags: ['agents'], access: 'user', response: agentList.reply, successStatus: 200, message: agentList,
});

export const agentGetRoute = defineRoute({
  method: 'get', path: '/v1/agents/{id}', operationId: 'getAgent', summary: 'Get an agent',
  tags: ['agents'], access: 'user', params: IdParam, response: agentGet.reply, successStatus: 200, message: agentGet,
});

export const agentRunsRoute = defineRoute({
  method: 'get', path: '/v1/agents/{id}/runs', operationId: 'getAgentRuns', summary: 'Runs and steps an agent worked on',
  tags: ['agents'], access: 'user', params: IdParam, query: z.object({ limit: agentRuns.request.shape.limit }),
  response: agentRuns.reply, successStatus: 200, message: agentRuns,
});

export const agentConfigRoute = defineRoute({
  method: 'put', path: '/v1/agents/{id}/config', operationId: 'updateAgentConfig', summary: 'Update an agent\'s configuration',
  tags: ['agents'], access: 'admin', params: IdParam, body: bodyOf(agentConfigUpdate.request, 'id'),
  response: agentConfigUpdate.reply, successStatus: 200, message: agentConfigUpdate,
});

export const agentToolsRoute = defineRoute({
  method: 'get', path: '/v1/agent-tools/{agent_id}', operationId: 'listAgentTools', summary: 'An agent\'s tools and overrides',
  tags: ['agents'], access: 'user', params: AgentParam, response: agentToolsGet.reply, successStatus: 200, message: agentToolsGet,
});

export const agentToolSetRoute = defineRoute({
  method: 'put', path: '/v1/agent-tools/{agent_id}/{tool}', operationId: 'setAgentTool', summary: 'Enable or disable a tool for an agent',
  tags: ['agents'], access: 'admin', params: ToolParams, body: z.object({ enabled: z.boolean() }),
  response: agentToolSet.reply, successStatus: 200, message: agentToolSet,
});

export const agentToolRemoveRoute = defineRoute({
  method: 'delete', path: '/v1/agent-tools/{agent_id}/{tool}', operationId: 'removeAgentTool', summary: 'Remove a tool override',
  tags: ['agents'], access: 'admin', params: ToolParams, response: agentToolRemove.reply, successStatus: 200, message: agentToolRemove,
});

export const llmCallListRoute = defineRoute({
  method: 'get', path: '/v1/llm-calls', operationId: 'listLlmCalls', summary: 'List model calls',
  tags: ['llm-calls'], access: 'user', query: llmCallList.request, response: llmCallList.reply, successStatus: 200, message: llmCallList,
});

export const llmCallSummaryRoute = defineRoute({
  method: 'get', path: '/v1/llm-calls/summary', operationId: 'summarizeLlmCalls', summary: 'Token and cost totals of model calls',
  tags: ['llm-calls'], access: 'user', query: llmCallSummary.request, response: llmCallSummary.reply, successStatus: 200, message: llmCallSummary,
});

export const llmCallGetRoute = defineRoute({
  method: 'get', path: '/v1/llm-calls/{id}', operationId: 'getLlmCall', summary: 'Get a model call',
  tags: ['llm-calls'], access: 'user', params: llmCallGet.request, response: llmCallGet.reply, successStatus: 200, message: llmCallGet,
});

export const usageRoute = defineRoute({
  method: 'get', path: '/v1/usage', operationId: 'getUsage', summary: 'Usage summary',
  tags: ['usage'], access: 'user', query: usageSummary.request, response: usageSummary.reply, successStatus: 200, message: usageSummary,
});

export const usageHistoryRoute = defineRoute({
  method: 'get', path: '/v1/usage/history', operationId: 'getUsageHistory', summary: 'Usage per day',
  tags: ['usage'], access: 'user', query: usageHistory.request, response: usageHistory.reply, successStatus: 200, message: usageHistory,
});

export const providerListRoute = defineRoute({
  method: 'get', path: '/v1/settings/providers', operationId: 'listProviders', summary: 'List model providers (keys masked)',
  tags: ['settings'], access: 'user', response: providerList.reply, successStatus: 200, message: providerList,
});

export const providerKeysRoute = defineRoute({
  method: 'get', path: '/v1/settings/providers/keys/all', operationId: 'getProviderKeys', summary: 'Provider API keys in plain text (admin)',
  tags: ['settings'], access: 'admin', response: providerKeys.reply, successStatus: 200, message: providerKeys,
});

export const providerUpdateRoute = defineRoute({
  method: 'put', path: '/v1/settings/providers/{id}', operationId: 'updateProvider', summary: 'Configure a model provider',
  tags: ['settings'], access: 'admin', params: z.object({ id: ProviderId }), body: bodyOf(providerUpdate.request, 'id'),
  response: providerUpdate.reply, successStatus: 200, message: providerUpdate,
});

/** Every route of the agents service. */
export const agentRoutes: readonly RouteDefinition[] = [
  agentListRoute, agentGetRoute, agentRunsRoute, agentConfigRoute, agentToolsRoute, agentToolSetRoute, agentToolRemoveRoute,
  llmCallListRoute, llmCallSummaryRoute, llmCallGetRoute, usageRoute, usageHistoryRoute,
  providerListRoute, providerKeysRoute, providerUpdateRoute,
];
