import type { Decider } from '@cadre/eventstore';
import { NotFoundError, ValidationError } from '@cadre/proto';
import { NO_OVERRIDES, applyOverrides, evolveAgent, toAgentEvent, type AgentEvent, type AgentOverrides } from './agent-state';
import type { AgentDefinition } from './definitions';

type ConfigChanges = Omit<Extract<AgentEvent, { type: 'agent_config_updated' }>['data'], 'agent_id'>;

/**
 * What the API asks of an agent. `definition` is the agent's file definition (undefined for an
 * agent only the API made): with the overrides, it tells whether the agent exists.
 */
export type AgentCommand =
  | { readonly kind: 'configure'; readonly agentId: string; readonly definition: AgentDefinition | undefined; readonly changes: ConfigChanges }
  | { readonly kind: 'set_tool'; readonly agentId: string; readonly definition: AgentDefinition | undefined; readonly tool: string; readonly enabled: boolean }
  | { readonly kind: 'remove_tool'; readonly agentId: string; readonly definition: AgentDefinition | undefined; readonly tool: string };

/** Decides a command on an agent's overrides: an agent must exist (or be made with a persona) to be changed. */
export function decideAgent(command: AgentCommand, overrides: AgentOverrides): readonly AgentEvent[] {
  const { agentId: id } = command;
  const exists = applyOverrides(id, command.definition, overrides) !== undefined;
  switch (command.kind) {
    case 'configure':
      if (!exists && command.changes.persona === undefined) {
        throw new ValidationError(`no agent "${id}": a new agent needs a persona`, [{ path: 'persona', message: 'required to create an agent' }]);
      }
      return [{ type: 'agent_config_updated', data: { agent_id: id, ...command.changes } }];
    case 'set_tool':
      if (!exists) throw new NotFoundError(`no agent "${id}"`, { id });
      return [{ type: 'agent_tool_override_set', data: { agent_id: id, tool: command.tool, enabled: command.enabled } }];
    case 'remove_tool':
      if (!exists) throw new NotFoundError(`no agent "${id}"`, { id });
      if (!(command.tool in overrides.toolOverrides)) {
        throw new NotFoundError(`agent "${id}" has no override of tool "${command.tool}"`, { agent_id: id, tool: command.tool });
      }
      return [{ type: 'agent_tool_override_removed', data: { agent_id: id, tool: command.tool } }];
  }
}

/** One agent's API overrides (its stream `agent-<id>`). */
export const agentDecider: Decider<AgentCommand, AgentOverrides, AgentEvent> = {
  initialState: NO_OVERRIDES, decide: decideAgent, evolve: evolveAgent, fromEnvelope: toAgentEvent,
};
