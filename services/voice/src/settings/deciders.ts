import type { z } from 'zod';
import type { Decider } from '@cadre/eventstore';
import { ValidationError, type EventEnvelope, type agentTtsSettingsUpdated, type ttsSettingsUpdated } from '@cadre/proto';

export type GlobalPatch = z.input<typeof ttsSettingsUpdated.data>;
export type AgentPatch = z.input<typeof agentTtsSettingsUpdated.data>;

/** The global settings as the events left them (undefined: the environment's default). */
export interface GlobalState {
  readonly tts_enabled?: boolean;
  readonly character_threshold?: number;
  readonly max_concurrent_requests?: number;
  readonly default_provider?: GlobalPatch['default_provider'];
  readonly default_voice_id?: string | null;
  readonly default_stt_provider?: GlobalPatch['default_stt_provider'];
  readonly voicebox_url?: string;
  readonly providers: Readonly<Record<string, { readonly base_url?: string | null; readonly model?: string | null; readonly stt_model?: string | null; readonly api_key_masked?: string | null }>>;
  readonly updated_at: string | null;
}

interface Event<T extends string, D> {
  readonly type: T;
  readonly data: D;
  readonly occurredAt?: string;
}
type GlobalEvent = Event<'tts_settings_updated', GlobalPatch>;
type AgentEvent = Event<'agent_tts_settings_updated', AgentPatch>;

const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** The one stream of the global settings. */
export const GLOBAL_STREAM = 'tts-settings';
export const agentStream = (agentId: string): string => `agent-tts-${agentId}`;

/** Global settings: a change records the fields it sets (keys only masked); an empty change is refused. */
export const globalSettingsDecider: Decider<{ readonly patch: GlobalPatch }, GlobalState, GlobalEvent> = {
  initialState: { providers: {}, updated_at: null },
  decide({ patch }) {
    const fields = defined(patch);
    if (Object.keys(fields).length === 0) throw new ValidationError('nothing to change: name at least one setting');
    return [{ type: 'tts_settings_updated', data: fields }];
  },
  evolve(state, event) {
    const { providers, ...rest } = event.data;
    const merged: Record<string, GlobalState['providers'][string]> = { ...state.providers };
    for (const [id, p] of Object.entries(providers ?? {})) merged[id] = { ...merged[id], ...defined(p) };
    return { ...state, ...defined(rest), providers: merged, updated_at: event.occurredAt ?? state.updated_at };
  },
  fromEnvelope: (e: EventEnvelope) => (e.type === 'tts_settings_updated' ? { type: e.type, data: e.data as GlobalPatch, occurredAt: e.occurredAt } : undefined),
};

/** An agent's settings, as the events left them. */
export interface AgentState {
  readonly tts_enabled?: boolean;
  readonly tts_provider?: AgentPatch['tts_provider'];
  readonly tts_voice_id?: string | null;
  readonly tts_voice_name?: string | null;
  readonly tts_format?: AgentPatch['tts_format'];
  readonly updated_at: string | null;
}

export const agentSettingsDecider: Decider<{ readonly patch: AgentPatch }, AgentState, AgentEvent> = {
  initialState: { updated_at: null },
  decide({ patch }) {
    const { agent_id: agentId, ...fields } = defined(patch);
    if (Object.keys(fields).length === 0) throw new ValidationError('nothing to change: name at least one setting');
    return [{ type: 'agent_tts_settings_updated', data: { agent_id: agentId ?? patch.agent_id, ...fields } }];
  },
  evolve(state, event) {
    const { agent_id: _agent, ...fields } = event.data;
    return { ...state, ...defined(fields), updated_at: event.occurredAt ?? state.updated_at };
  },
  fromEnvelope: (e: EventEnvelope) => (e.type === 'agent_tts_settings_updated' ? { type: e.type, data: e.data as AgentPatch, occurredAt: e.occurredAt } : undefined),
};
