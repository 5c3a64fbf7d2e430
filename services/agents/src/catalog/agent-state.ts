import type { z } from 'zod';
import type { EventEnvelope, agentConfigUpdated, agentToolOverrideRemoved, agentToolOverrideSet } from '@cadre/proto';
import type { AgentDefinition } from './definitions';

/** What the API changed on an agent, folded from its stream. */
export interface AgentOverrides {
  readonly name?: string;
  readonly description?: string;
  readonly persona?: string;
  /** null: back to the step's model. */
  readonly model?: string | null;
  readonly tools?: readonly string[];
  readonly limits?: AgentDefinition['limits'];
  /** Tool name → enabled, set through the agent-tools API. */
  readonly toolOverrides: Readonly<Record<string, boolean>>;
  readonly updatedAt?: string;
  readonly changed: boolean;
}

export const NO_OVERRIDES: AgentOverrides = { toolOverrides: {}, changed: false };

/** The event stream of one agent's overrides. */
export const agentStream = (agentId: string): string => `agent-${agentId}`;

/** An event of an agent's stream, as its decider sees it (`occurredAt` is the store's, once appended). */
export type AgentEvent =
  | { readonly type: 'agent_config_updated'; readonly data: z.input<typeof agentConfigUpdated.data>; readonly occurredAt?: string }
  | { readonly type: 'agent_tool_override_set'; readonly data: z.input<typeof agentToolOverrideSet.data>; readonly occurredAt?: string }
  | { readonly type: 'agent_tool_override_removed'; readonly data: z.input<typeof agentToolOverrideRemoved.data>; readonly occurredAt?: string };

const AGENT_EVENT_TYPES: ReadonlySet<string> = new Set<AgentEvent['type']>(['agent_config_updated', 'agent_tool_override_set', 'agent_tool_override_removed']);

/** The agent event an envelope holds; undefined for other types (newer replicas may add some). */
export function toAgentEvent(envelope: EventEnvelope): AgentEvent | undefined {
  if (!AGENT_EVENT_TYPES.has(envelope.type)) return undefined;
  // The store validated the data against the event's schema when it was appended.
  return { type: envelope.type, data: envelope.data, occurredAt: envelope.occurredAt } as AgentEvent;
}

const CONFIG_FIELDS = ['name', 'description', 'persona', 'model', 'tools'] as const;

/** Applies one event to an agent's overrides (pure): config field by field, tool overrides by name. */
export function evolveAgent(state: AgentOverrides, event: AgentEvent): AgentOverrides {
  let next: AgentOverrides;
  switch (event.type) {
    case 'agent_config_updated': {
      const d = event.data;
      const fields = Object.fromEntries(CONFIG_FIELDS.flatMap((key) => (d[key] !== undefined ? [[key, d[key]]] : [])));
      next = { ...state, ...fields, ...(d.limits !== undefined ? { limits: { ...state.limits, ...d.limits } } : {}) };
      break;
    }
    case 'agent_tool_override_set':
      next = { ...state, toolOverrides: { ...state.toolOverrides, [event.data.tool]: event.data.enabled === true } };
      break;
    case 'agent_tool_override_removed': {
      const { [event.data.tool]: _removed, ...rest } = state.toolOverrides;
      next = { ...state, toolOverrides: rest };
      break;
    }
    default: {
      const never: never = event;
      return never;
    }
  }
  return { ...next, changed: true, ...(event.occurredAt !== undefined ? { updatedAt: event.occurredAt } : {}) };
}

/** Folds an agent's events into its overrides (pure). Unknown types are ignored: newer replicas may add some. */
export function foldAgent(events: readonly EventEnvelope[]): AgentOverrides {
  let state = NO_OVERRIDES;
  for (const envelope of events) {
    const event = toAgentEvent(envelope);
    if (event !== undefined) state = evolveAgent(state, event);
  }
  return state;
}

/** An effective agent: the definition with the overrides applied (undefined when neither exists). */
export interface EffectiveAgent {
  readonly definition: AgentDefinition;
  readonly overrides: AgentOverrides;
}

/** Applies overrides to a definition; an API-only agent needs at least a persona. */
export function applyOverrides(id: string, definition: AgentDefinition | undefined, o: AgentOverrides): AgentDefinition | undefined {
  const base: AgentDefinition | undefined = definition ?? (o.persona === undefined ? undefined : {
    id, name: o.name ?? id, persona: o.persona, tools: [], limits: {}, source: 'api', pipelines: [],
  });
  if (!base) return undefined;
  const model = o.model === undefined ? base.model : o.model ?? undefined;
  const description = o.description ?? base.description;
  return {
    id, name: o.name ?? base.name, persona: o.persona ?? base.persona, tools: o.tools ?? base.tools,
    limits: { ...base.limits, ...o.limits }, source: base.source, pipelines: base.pipelines,
    ...(model === undefined ? {} : { model }), ...(description === undefined ? {} : { description }),
  };
}

/** The tools an agent may call: its own and the step's, with the overrides applied. */
export function enabledTools(declared: readonly string[], overrides: Readonly<Record<string, boolean>>): readonly string[] {
  const names = new Set(declared);
  for (const [tool, enabled] of Object.entries(overrides)) {
    if (enabled) names.add(tool);
    else names.delete(tool);
  }
  return [...names].sort();
}
