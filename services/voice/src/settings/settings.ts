import type { Kysely } from 'kysely';
import { maskSecret, type SecretBox } from '@cadre/agents';
import { foldEnvelopes, handleCommand, type EventStore, type NewEventMeta } from '@cadre/eventstore';
import type { AudioFormat, SttProvider, TtsProvider, TtsSettingsView, agentTtsSettingsUpdate, ttsSettingsUpdate } from '@cadre/proto';
import type { z } from 'zod';
import type { VoiceConfig } from '../config';
import type { RemoteProvider } from '../engines/remote';
import type { VoiceDatabase } from '../storage/database';
import { GLOBAL_STREAM, agentSettingsDecider, agentStream, globalSettingsDecider, type AgentState, type GlobalPatch, type GlobalState } from './deciders';

export type RemoteId = 'fish-audio' | 'voicebox' | 'openai';
const REMOTES: readonly RemoteId[] = ['fish-audio', 'voicebox', 'openai'];

/** The settings a synthesis runs with: the global ones over the environment's defaults. */
export interface EffectiveSettings {
  readonly ttsEnabled: boolean;
  readonly characterThreshold: number;
  readonly maxConcurrent: number;
  readonly defaultProvider: TtsProvider;
  readonly defaultVoiceId: string | null;
  readonly defaultSttProvider: SttProvider;
  readonly voiceboxUrl: string;
}

export interface AgentSettings {
  readonly agent_id: string;
  readonly tts_enabled: boolean;
  readonly tts_provider: TtsProvider | null;
  readonly tts_voice_id: string | null;
  readonly tts_voice_name: string | null;
  readonly tts_format: AudioFormat | null;
  readonly updated_at: string | null;
}

export interface VoiceSettings {
  effective(): Promise<EffectiveSettings>;
  view(): Promise<TtsSettingsView>;
  update(request: z.infer<typeof ttsSettingsUpdate.request>, meta: NewEventMeta): Promise<TtsSettingsView>;
  agent(agentId: string): Promise<AgentSettings>;
  updateAgent(request: z.infer<typeof agentTtsSettingsUpdate.request>, meta: NewEventMeta): Promise<AgentSettings>;
  /** A remote provider with its key (decrypted) for one call; `stt` picks the transcription model. */
  remote(id: RemoteId, stt?: boolean): Promise<RemoteProvider>;
}

export function createVoiceSettings(store: EventStore, db: Kysely<VoiceDatabase>, box: SecretBox, config: VoiceConfig): VoiceSettings {
  const readGlobal = async (): Promise<GlobalState> => foldEnvelopes(globalSettingsDecider, globalSettingsDecider.initialState, await store.readStream(GLOBAL_STREAM));
  const defaults = {
    'fish-audio': { base_url: config.VOICE_FISH_AUDIO_URL, model: config.VOICE_FISH_AUDIO_MODEL, stt_model: null, key: config.VOICE_FISH_AUDIO_API_KEY, price: config.VOICE_FISH_AUDIO_PRICE_PER_MB },
    voicebox: { base_url: config.VOICE_VOICEBOX_URL, model: 'qwen3-tts', stt_model: null, key: undefined, price: 0 },
    openai: { base_url: config.VOICE_OPENAI_URL, model: config.VOICE_OPENAI_TTS_MODEL, stt_model: config.VOICE_OPENAI_STT_MODEL, key: config.VOICE_OPENAI_API_KEY, price: config.VOICE_OPENAI_TTS_PRICE_PER_MCHAR },
  } as const;
  const effective = (s: GlobalState): EffectiveSettings => ({
    ttsEnabled: s.tts_enabled ?? true,
    characterThreshold: s.character_threshold ?? config.VOICE_CHARACTER_THRESHOLD,
    maxConcurrent: s.max_concurrent_requests ?? config.VOICE_MAX_CONCURRENT,
    defaultProvider: s.default_provider ?? config.VOICE_DEFAULT_PROVIDER,
    defaultVoiceId: s.default_voice_id ?? null,
    defaultSttProvider: s.default_stt_provider ?? 'pocketsphinx',
    voiceboxUrl: s.providers.voicebox?.base_url ?? s.voicebox_url ?? config.VOICE_VOICEBOX_URL,
  });
  const keys = async (): Promise<Map<string, { sealed: string; masked: string }>> =>
    new Map((await db.selectFrom('provider_keys').selectAll().execute()).map((r) => [r.provider, r]));
  const view = async (s: GlobalState): Promise<TtsSettingsView> => {
    const e = effective(s);
    const sealed = await keys();
    return {
      tts_enabled: e.ttsEnabled, character_threshold: e.characterThreshold, max_concurrent_requests: e.maxConcurrent,
      default_provider: e.defaultProvider, default_voice_id: e.defaultVoiceId, default_stt_provider: e.defaultSttProvider, voicebox_url: e.voiceboxUrl,
      providers: REMOTES.map((id) => {
        const p = s.providers[id];
        const envKey = defaults[id].key;
        const masked = sealed.get(id)?.masked ?? (envKey ? maskSecret(envKey) : null);
        return {
          id, base_url: id === 'voicebox' ? e.voiceboxUrl : (p?.base_url ?? defaults[id].base_url),
          model: p?.model ?? defaults[id].model, stt_model: p?.stt_model ?? defaults[id].stt_model, api_key_set: masked !== null, api_key_masked: masked,
        };
      }),
      updated_at: s.updated_at === null ? null : new Date(s.updated_at).toISOString(),
    };
  };
  const agentView = (agentId: string, s: AgentState): AgentSettings => ({
    agent_id: agentId, tts_enabled: s.tts_enabled ?? true, tts_provider: s.tts_provider ?? null, tts_voice_id: s.tts_voice_id ?? null,
    tts_voice_name: s.tts_voice_name ?? null, tts_format: s.tts_format ?? null, updated_at: s.updated_at === null ? null : new Date(s.updated_at).toISOString(),
  });

  return {
    effective: async () => effective(await readGlobal()),
    view: async () => view(await readGlobal()),
    async update(request, meta) {
      const { providers, ...rest } = request;
      const patch: GlobalPatch = { ...rest };
      if (providers) {
        const out: NonNullable<GlobalPatch['providers']> = {};
        for (const [id, p] of Object.entries(providers)) {
          if (!p) continue;
          const { api_key: apiKey, ...fields } = p;
          // The key is sealed in its table before the event that says it changed (masked) is appended.
          if (typeof apiKey === 'string') {
            await db.insertInto('provider_keys').values({ provider: id, sealed: box.seal(apiKey), masked: maskSecret(apiKey), updated_at: new Date() })
              .onConflict((c) => c.column('provider').doUpdateSet({ sealed: box.seal(apiKey), masked: maskSecret(apiKey), updated_at: new Date() })).execute();
          } else if (apiKey === null) {
            await db.deleteFrom('provider_keys').where('provider', '=', id).execute();
          }
          out[id] = { ...fields, ...(apiKey === undefined ? {} : { api_key_masked: apiKey === null ? null : maskSecret(apiKey) }) };
        }
        patch.providers = out;
      }
      const { state } = await handleCommand(store, globalSettingsDecider, { stream: GLOBAL_STREAM, command: { patch }, meta, subjectScope: 'settings' });
      return view(state);
    },
    async agent(agentId) {
      return agentView(agentId, foldEnvelopes(agentSettingsDecider, agentSettingsDecider.initialState, await store.readStream(agentStream(agentId))));
    },
    async updateAgent(request, meta) {
      const { id, ...fields } = request;
      const { state } = await handleCommand(store, agentSettingsDecider, { stream: agentStream(id), command: { patch: { agent_id: id, ...fields } }, meta, subjectScope: id });
      return agentView(id, state);
    },
    async remote(id, stt = false) {
      const s = await readGlobal();
      const p = s.providers[id];
      const row = await db.selectFrom('provider_keys').selectAll().where('provider', '=', id).executeTakeFirst();
      const d = defaults[id];
      return {
        baseUrl: id === 'voicebox' ? effective(s).voiceboxUrl : (p?.base_url ?? d.base_url),
        apiKey: row ? box.open(row.sealed) : d.key,
        model: (stt ? (p?.stt_model ?? d.stt_model) : p?.model) ?? d.model,
        price: stt ? config.VOICE_OPENAI_STT_PRICE_PER_MINUTE : d.price,
      };
    },
  };
}
