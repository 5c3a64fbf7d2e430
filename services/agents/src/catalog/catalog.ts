import type { EventStore } from '@cadre/eventstore';
import { NotFoundError, type AgentView } from '@cadre/proto';
import { agentStream, applyOverrides, enabledTools, foldAgent, type AgentOverrides } from './agent-state';
import type { AgentDefinition } from './definitions';

/** Agents as the API shows them: file definitions plus the event-sourced overrides, read from the store on each call (few, small streams). */
export interface AgentCatalog {
  list(): Promise<AgentView[]>;
  /** Throws NotFoundError for an unknown agent. */
  get(id: string): Promise<AgentView>;
  /** The effective definition and overrides, or undefined (the executor runs unknown agents from the job alone). */
  find(id: string): Promise<{ readonly agent: AgentDefinition | undefined; readonly overrides: AgentOverrides }>;
  definition(id: string): AgentDefinition | undefined;
}

export function toView(agent: AgentDefinition, overrides: AgentOverrides): AgentView {
  return {
    id: agent.id, name: agent.name, persona: agent.persona, tools: enabledTools(agent.tools, overrides.toolOverrides) as string[],
    limits: agent.limits, source: agent.source, pipelines: [...agent.pipelines], overridden: overrides.changed,
    ...(agent.description === undefined ? {} : { description: agent.description }),
    ...(agent.model === undefined ? {} : { model: agent.model }),
    ...(overrides.updatedAt === undefined ? {} : { updated_at: new Date(overrides.updatedAt).toISOString() }),
  };
}

export function createAgentCatalog(store: EventStore, definitions: ReadonlyMap<string, AgentDefinition>): AgentCatalog {
  const find: AgentCatalog['find'] = async (id) => {
    const overrides = foldAgent(await store.readStream(agentStream(id)));
    return { agent: applyOverrides(id, definitions.get(id), overrides), overrides };
  };
  return {
    find,
    definition: (id) => definitions.get(id),
    async get(id) {
      const { agent, overrides } = await find(id);
      if (!agent) throw new NotFoundError(`no agent "${id}"`, { id });
      return toView(agent, overrides);
    },
    async list() {
      const rows = await store.db.withSchema(store.schema).selectFrom('events').select('stream_id').distinct()
        .where('stream_id', 'like', 'agent-%').execute();
      const ids = new Set([...definitions.keys(), ...rows.map((r) => r.stream_id.slice('agent-'.length))]);
      const views: AgentView[] = [];
      for (const id of [...ids].sort()) {
        const { agent, overrides } = await find(id);
        if (agent) views.push(toView(agent, overrides));
      }
      return views;
    },
  };
}
