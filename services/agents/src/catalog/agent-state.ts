import type { EventEnvelope } from '@cadre/proto';
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

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Folds an agent's events into its overrides (pure). Unknown types are ignored: newer replicas may add some. */
export function foldAgent(events: readonly EventEnvelope[]): AgentOverrides {
  const state: Mutable<AgentOverrides> = { toolOverrides: {}, changed: false };
  for (const event of events) {
    const d = event.data;
    switch (event.type) {
      case 'agent_config_updated':
        for (const key of ['name', 'description', 'persona', 'model', 'tools'] as const) {
          if (d[key] !== undefined) (state as Record<string, unknown>)[key] = d[key];
        }
        if (d.limits !== undefined) state.limits = { ...state.limits, ...(d.limits as AgentDefinition['limits']) };
        break;
      case 'agent_tool_override_set':
        state.toolOverrides = { ...state.toolOverrides, [String(d.tool)]: d.enabled === true };
        break;
      case 'agent_tool_override_removed': {
        const { [String(d.tool)]: _removed, ...rest } = state.toolOverrides;
        state.toolOverrides = rest;
        break;
      }
      default:
        continue;
    }
    state.changed = true;
    state.updatedAt = event.occurredAt;
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
