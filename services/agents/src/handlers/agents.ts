import { NotFoundError, agentConfigUpdate, agentGet, agentList, agentRuns, agentToolRemove, agentToolSet, agentToolsGet, ValidationError } from '@cadre/proto';
import { agentStream, enabledTools } from '../catalog/agent-state';
import type { AgentsContext } from '../context';
import { endpoint, metaOf, ownerFilter, type Call } from './call';

/** The tools view of an agent: its declared tools, every override, and the installed tools it does not use. */
async function toolsOf(ctx: AgentsContext, agentId: string) {
  const { agent, overrides } = await ctx.catalog.find(agentId);
  if (!agent) throw new NotFoundError(`no agent "${agentId}"`, { id: agentId });
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

async function requireAgent(ctx: AgentsContext, id: string): Promise<void> {
  if (!(await ctx.catalog.find(id)).agent) throw new NotFoundError(`no agent "${id}"`, { id });
}

export function agentHandlers(ctx: AgentsContext) {
  const append = (id: string, type: string, data: Record<string, unknown>, call: Call) =>
    ctx.store.append(agentStream(id), 'any', [{ type, data, meta: metaOf(call) }], { subjectScope: id });
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
      const exists = (await ctx.catalog.find(id)).agent !== undefined;
      if (!exists && changes.persona === undefined) {
        throw new ValidationError(`no agent "${id}": a new agent needs a persona`, [{ path: 'persona', message: 'required to create an agent' }]);
      }
      await append(id, 'agent_config_updated', { agent_id: id, ...changes }, call);
      return ctx.catalog.get(id);
    }),
    endpoint(agentToolsGet, async ({ agent_id }) => toolsOf(ctx, agent_id)),
    endpoint(agentToolSet, async ({ agent_id, tool, enabled }, call) => {
      await requireAgent(ctx, agent_id);
      await append(agent_id, 'agent_tool_override_set', { agent_id, tool, enabled }, call);
      return toolsOf(ctx, agent_id);
    }),
    endpoint(agentToolRemove, async ({ agent_id, tool }, call) => {
      const { agent, overrides } = await ctx.catalog.find(agent_id);
      if (!agent) throw new NotFoundError(`no agent "${agent_id}"`, { id: agent_id });
      if (!(tool in overrides.toolOverrides)) throw new NotFoundError(`agent "${agent_id}" has no override of tool "${tool}"`, { agent_id, tool });
      await append(agent_id, 'agent_tool_override_removed', { agent_id, tool }, call);
      return toolsOf(ctx, agent_id);
    }),
  ];
}
