import { handleCommand } from '@cadre/eventstore';
import { NotFoundError, agentConfigUpdate, agentGet, agentList, agentRuns, agentToolRemove, agentToolSet, agentToolsGet } from '@cadre/proto';
import { toView } from '../catalog/catalog';
import { agentDecider, type AgentCommand } from '../catalog/agent-decider';
import { agentStream, applyOverrides, enabledTools, type AgentOverrides } from '../catalog/agent-state';
import type { AgentDefinition } from '../catalog/definitions';
import type { AgentsContext } from '../context';
import { endpoint, metaOf, ownerFilter, type Call } from './call';

/** The tools view of an agent: its declared tools, every override, and the installed tools it does not use. */
function toolsView(ctx: AgentsContext, agentId: string, agent: AgentDefinition, overrides: AgentOverrides) {
  const enabled = new Set(enabledTools(agent.tools, overrides.toolOverrides));
  const names = [...new Set([...agent.tools, ...Object.keys(overrides.toolOverrides), ...ctx.tools.names()])].sort();
  return {
    agent_id: agentId,
    tools: names.map((name) => {
      const tool = ctx.tools.get(name);
      return {
        name, enabled: enabled.has(name), registered: tool !== undefined,
        source: name in overrides.toolOverrides ? 'override' as const : agent.tools.includes(name) ? 'definition' as const : 'available' as const,
        ...(tool ? { description: tool.description } : {}),
      };
    }),
  };
}

async function toolsOf(ctx: AgentsContext, agentId: string) {
  const { agent, overrides } = await ctx.catalog.find(agentId);
  if (!agent) throw new NotFoundError(`no agent "${agentId}"`, { id: agentId });
  return toolsView(ctx, agentId, agent, overrides);
}

async function requireAgent(ctx: AgentsContext, id: string): Promise<void> {
  if (!(await ctx.catalog.find(id)).agent) throw new NotFoundError(`no agent "${id}"`, { id });
}

export function agentHandlers(ctx: AgentsContext) {
  /**
   * Runs a command on the agent's stream (at the version read: a concurrent change is decided
   * again) and answers the agent as the command left it, with no second read.
   */
  const change = async (command: AgentCommand, call: Call) => {
    const id = command.agentId;
    const { state } = await handleCommand(ctx.store, agentDecider, { stream: agentStream(id), command, meta: metaOf(call), subjectScope: id });
    // Every replica's steps read the agent again from now on (announced ahead of this reply).
    ctx.catalog.changed(id);
    const agent = applyOverrides(id, command.definition, state);
    // The decision refuses to change an agent that does not exist, so this holds.
    if (!agent) throw new NotFoundError(`no agent "${id}"`, { id });
    return { agent, overrides: state };
  };
  return [
    endpoint(agentList, async () => ({ agents: await ctx.catalog.list() })),
    endpoint(agentGet, async ({ id }) => ctx.catalog.get(id)),
    endpoint(agentRuns, async ({ id, limit }, call) => {
      await requireAgent(ctx, id);
      // A member sees the agent's work on their own runs only.
      const scope = ownerFilter(call);
      return { agent_id: id, runs: await ctx.llmCalls.agentRuns(id, limit, scope.all ? undefined : scope.owner) };
    }),
    endpoint(agentConfigUpdate, async ({ id, ...changes }, call) => {
      const { agent, overrides } = await change({ kind: 'configure', agentId: id, definition: ctx.catalog.definition(id), changes }, call);
      return toView(agent, overrides);
    }),
    endpoint(agentToolsGet, async ({ agent_id }) => toolsOf(ctx, agent_id)),
    endpoint(agentToolSet, async ({ agent_id, tool, enabled }, call) => {
      const { agent, overrides } = await change({ kind: 'set_tool', agentId: agent_id, definition: ctx.catalog.definition(agent_id), tool, enabled }, call);
      return toolsView(ctx, agent_id, agent, overrides);
    }),
    endpoint(agentToolRemove, async ({ agent_id, tool }, call) => {
      const { agent, overrides } = await change({ kind: 'remove_tool', agentId: agent_id, definition: ctx.catalog.definition(agent_id), tool }, call);
      return toolsView(ctx, agent_id, agent, overrides);
    }),
  ];
}
