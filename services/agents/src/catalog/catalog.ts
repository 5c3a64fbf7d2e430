import { encodeJson, type Bus, type Subscription } from '@cadre/bus';
import type { EventStore } from '@cadre/eventstore';
import { NotFoundError, agentConfigUpdated, agentToolOverrideRemoved, agentToolOverrideSet, eventTypeFilter, type AgentView } from '@cadre/proto';
import { agentStream, applyOverrides, enabledTools, foldAgent, type AgentOverrides } from './agent-state';
import type { AgentDefinition } from './definitions';

/** An agent's effective definition (undefined: the executor runs an unknown agent from the job alone) and its overrides. */
export interface FoundAgent {
  readonly agent: AgentDefinition | undefined;
  readonly overrides: AgentOverrides;
}

/**
 * Agents as the API shows them: file definitions plus the event-sourced overrides, read from the
 * store on each call of the API (few, small streams); the executor's steps use a copy each
 * replica keeps until the agent changes (`forStep`).
 */
export interface AgentCatalog {
  list(): Promise<AgentView[]>;
  /** Throws NotFoundError for an unknown agent. */
  get(id: string): Promise<AgentView>;
  /** The effective definition and overrides, read from the store. */
  find(id: string): Promise<FoundAgent>;
  /**
   * The same for a step, kept by this replica until any replica changes the agent: a step whose
   * job arrives after a change was acknowledged reads the agent again (see `changed`, `follow`).
   */
  forStep(id: string): Promise<FoundAgent>;
  /**
   * A change of the agent's overrides committed: forgets it here and announces it to every
   * replica, before the change is acknowledged (the announcement leaves on the same connection
   * as the reply, ahead of it, so a replica hears of it before any job handed to it afterwards).
   */
  changed(id: string): void;
  /**
   * Forgets an agent when a replica announces its change, and (on NATS, where a replica that lost
   * its connection can miss an announcement) when the change's event is relayed.
   */
  follow(bus: Bus): Promise<Subscription>;
  definition(id: string): AgentDefinition | undefined;
}

/** Subject of the announcement that an agent's overrides changed (`{ agent_id }`). */
export const AGENT_CHANGED_SUBJECT = 'agents.overrides.changed';
/** Agents kept for steps at most (a few exist; past this the copies are dropped and read again). */
const KEPT_AGENTS = 1_000;

export function toView(agent: AgentDefinition, overrides: AgentOverrides): AgentView {
  return {
    id: agent.id, name: agent.name, persona: agent.persona, tools: enabledTools(agent.tools, overrides.toolOverrides) as string[],
    limits: agent.limits, source: agent.source, pipelines: [...agent.pipelines], overridden: overrides.changed,
    ...(agent.description === undefined ? {} : { description: agent.description }),
    ...(agent.model === undefined ? {} : { model: agent.model }),
    ...(overrides.updatedAt === undefined ? {} : { updated_at: new Date(overrides.updatedAt).toISOString() }),
  };
}

export function createAgentCatalog(store: EventStore, definitions: ReadonlyMap<string, AgentDefinition>, bus: Pick<Bus, 'ephemeral'>): AgentCatalog {
  const find: AgentCatalog['find'] = async (id) => {
    const overrides = foldAgent(await store.readStream(agentStream(id)));
    return { agent: applyOverrides(id, definitions.get(id), overrides), overrides };
  };
  // The reads for steps, by agent: a read in flight is shared, and forgetting the agent drops it
  // too, so no read begun before a change is kept after it.
  const kept = new Map<string, Promise<FoundAgent>>();
  const forget = (id: unknown): void => {
    if (typeof id === 'string') kept.delete(id);
  };
  return {
    find,
    forStep(id) {
      const known = kept.get(id);
      if (known !== undefined) return known;
      if (kept.size >= KEPT_AGENTS) kept.clear();
      const reading = find(id);
      kept.set(id, reading);
      reading.catch(() => {
        if (kept.get(id) === reading) kept.delete(id);
      });
      return reading;
    },
    changed(id) {
      forget(id);
      bus.ephemeral.publish(AGENT_CHANGED_SUBJECT, encodeJson({ agent_id: id }));
    },
    async follow(follower) {
      const subscriptions: Subscription[] = [];
      subscriptions.push(follower.ephemeral.subscribe(AGENT_CHANGED_SUBJECT, (message) => forget(message.json<{ agent_id?: unknown }>().agent_id)));
      if (follower.transport === 'nats') {
        const from = (await follower.events.lastSeq()) + 1;
        for (const definition of [agentConfigUpdated, agentToolOverrideSet, agentToolOverrideRemoved]) {
          subscriptions.push(await follower.events.replay({ fromSeq: from, filterSubject: eventTypeFilter(definition) }, (message) => {
            forget(message.json<{ data?: { agent_id?: unknown } }>().data?.agent_id);
          }));
        }
      }
      // Anything read before the subscriptions were in place is read again.
      kept.clear();
      return {
        closed: Promise.all(subscriptions.map((s) => s.closed)).then(() => undefined),
        stop: async () => {
          await Promise.all(subscriptions.map((s) => s.stop()));
        },
      };
    },
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
