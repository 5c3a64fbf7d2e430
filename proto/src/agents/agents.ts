import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';
import { AgentId, AgentLimits, AgentRunView, AgentToolView, AgentView, Empty, ToolName } from './schemas';

/** Every agent: built-in, from CADRE_AGENTS_DIR, and created through the API. */
export const agentList = defineQuery({
  domain: 'agents', name: 'list', description: 'List agents',
  request: Empty, reply: z.object({ agents: z.array(AgentView) }),
});

/** One agent with its overrides applied. */
export const agentGet = defineQuery({
  domain: 'agents', name: 'get', description: 'Get an agent',
  request: z.object({ id: AgentId }), reply: AgentView,
});

/** The runs and steps an agent worked on, newest first (from its model calls). */
export const agentRuns = defineQuery({
  domain: 'agents', name: 'runs', description: 'Run history of an agent',
  request: z.object({ id: AgentId, limit: z.coerce.number().int().min(1).max(200).default(50) }),
  reply: z.object({ agent_id: z.string(), runs: z.array(AgentRunView) }),
});

/** Changes an agent's configuration (event-sourced); an unknown id with a persona creates an agent. */
export const agentConfigUpdate = defineCommand({
  domain: 'agents', name: 'config_update', description: 'Update an agent\'s configuration',
  request: z.object({
    id: AgentId,
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
    persona: z.string().min(1).max(100_000).optional(),
    model: z.string().regex(/^[a-z0-9][a-z0-9_-]*\/.+$/, 'provider/model').nullable().optional(),
    tools: z.array(ToolName).max(200).optional(),
    limits: AgentLimits.optional(),
  }),
  reply: AgentView,
});

/** The tools an agent may call and the overrides set on them. */
export const agentToolsGet = defineQuery({
  domain: 'agents', name: 'tools', description: 'List an agent\'s tools and overrides',
  request: z.object({ agent_id: AgentId }),
  reply: z.object({ agent_id: z.string(), tools: z.array(AgentToolView) }),
});

/** Turns one tool on or off for an agent, whatever its definition says. */
export const agentToolSet = defineCommand({
  domain: 'agents', name: 'tool_set', description: 'Enable or disable a tool for an agent',
  request: z.object({ agent_id: AgentId, tool: ToolName, enabled: z.boolean() }),
  reply: z.object({ agent_id: z.string(), tools: z.array(AgentToolView) }),
});

/** Removes a tool override: the definition decides again. */
export const agentToolRemove = defineCommand({
  domain: 'agents', name: 'tool_remove', description: 'Remove a tool override',
  request: z.object({ agent_id: AgentId, tool: ToolName }),
  reply: z.object({ agent_id: z.string(), tools: z.array(AgentToolView) }),
});
