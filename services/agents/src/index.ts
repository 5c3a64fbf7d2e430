import { startDefinedService } from '@cadre/kit';
import type { Service, ServiceDeps } from '@cadre/runtime';
import type { AgentsConfig } from './config';
import { agentsService } from './service';
import type { AgentTool, ToolRegistry } from './tools/registry';

export { loadAgentsConfig, agentsConfigShape, type AgentsConfig } from './config';
export { createToolRegistry, RESERVED_TOOL_NAMES, type AgentTool, type ToolContext, type ToolRegistry } from './tools/registry';
export { createSecretBox, maskSecret, type SecretBox } from './settings/crypto';
export { agentsService, type AgentsServiceOptions } from './service';
export { codeGraphTools } from './tools/code-graph';

/** Sources of time and ids, and the tools later services install. */
export interface AgentsOptions {
  readonly clock?: () => Date;
  readonly newId?: () => string;
  /** Tools agents may call besides `complete` and `fail` (more can be added with the returned registry). */
  readonly tools?: readonly AgentTool[] | ToolRegistry;
}

/** The running agents service and its tool registry (`registerTool` for later services). */
export type AgentsService = Service & { readonly tools: ToolRegistry };

/** Starts the agents service definition with a parsed config (tests and benches). */
export async function startAgents(deps: ServiceDeps, config: AgentsConfig, options: AgentsOptions = {}): Promise<AgentsService> {
  const { tools, ...start } = options;
  const service = await startDefinedService(agentsService, deps, { config, ...start, options: tools !== undefined ? { tools } : {} });
  return Object.assign(service, { tools: service.context.tools });
}
