import { NotFoundError, ValidationError } from '@cadre/proto';
import { deciderSpec } from '@cadre/testing';
import { agentDecider, type AgentCommand } from './agent-decider';
import type { AgentDefinition } from './definitions';

const planner: AgentDefinition = { id: 'planner', name: 'Planner', persona: 'Plan.', tools: ['web'], limits: {}, source: 'builtin', pipelines: ['demo'] };
const agents = deciderSpec(agentDecider);
const configure = (agentId: string, changes: Extract<AgentCommand, { kind: 'configure' }>['changes'], definition?: AgentDefinition): AgentCommand =>
  ({ kind: 'configure', agentId, definition, changes });
/** On `planner`, defined by a file unless `definition` says otherwise (null: by none). */
const setTool = (tool: string, enabled: boolean, definition: AgentDefinition | null = planner): AgentCommand =>
  ({ kind: 'set_tool', agentId: 'planner', definition: definition ?? undefined, tool, enabled });
const removeTool = (tool: string): AgentCommand => ({ kind: 'remove_tool', agentId: 'planner', definition: planner, tool });

describe('agent decisions', () => {
  it('configure a defined agent, and make a new one only with a persona', () => {
    agents.when(configure('planner', { model: 'openai/x' }, planner))
      .then([{ type: 'agent_config_updated', data: { agent_id: 'planner', model: 'openai/x' } }])
      .thenState(expect.objectContaining({ model: 'openai/x', changed: true }));
    agents.when(configure('scout', { name: 'Scout' })).thenThrows(ValidationError);
    agents.when(configure('scout', { persona: 'Look.' })).thenMatch([{ type: 'agent_config_updated', data: { agent_id: 'scout', persona: 'Look.' } }]);
  });

  it('override a tool of an agent that exists, and remove only an override that is there', () => {
    const overridden = agents.when(setTool('shell', true)).thenState(expect.objectContaining({ toolOverrides: { shell: true } }));
    agents.when(setTool('shell', true, null)).thenThrows(NotFoundError);
    agents.when(removeTool('shell')).thenThrows(NotFoundError);
    agents.given(overridden.events).when(removeTool('shell'))
      .then([{ type: 'agent_tool_override_removed', data: { agent_id: 'planner', tool: 'shell' } }])
      .thenState(expect.objectContaining({ toolOverrides: {} }));
  });

  it('see an agent the API made as existing', () => {
    agents.given([{ type: 'agent_config_updated', data: { agent_id: 'planner', persona: 'Mine.' } }]).when(setTool('web', false, null))
      .thenMatch([{ type: 'agent_tool_override_set', data: { tool: 'web', enabled: false } }]);
  });
});
