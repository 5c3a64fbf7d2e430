import { KNOWN_PROVIDERS, type LlmSettings, type ProviderSettings } from '@cadre/llm';
import type { EventEnvelope, ProviderView, providerSettingsUpdated } from '@cadre/proto';
import type { z } from 'zod';
import type { SecretBox } from './crypto';

/** What the API set on one provider (null: cleared, back to the environment's value). */
export interface ApiProvider {
  readonly kind?: 'openai' | 'anthropic' | 'dry-run';
  readonly base_url?: string | null;
  readonly api_key_ref?: string | null;
  /** Events of releases before `api_key_ref` carried the sealed key itself. */
  readonly api_key_encrypted?: string | null;
  readonly api_key_masked?: string | null;
  readonly enabled?: boolean;
  readonly updated_at: string;
}

/** The single stream holding every provider's settings. */
export const PROVIDERS_STREAM = 'provider-settings';

/** A change of one provider's settings, as the providers' decider sees it. */
export interface ProviderEvent {
  readonly type: 'provider_settings_updated';
  readonly data: z.input<typeof providerSettingsUpdated.data>;
  /** The store's time once appended. */
  readonly occurredAt?: string;
}

/** Every provider's API settings, by provider id. */
export type ProviderSettingsState = ReadonlyMap<string, ApiProvider>;

/** The provider event an envelope holds; undefined for other types. */
export function toProviderEvent(envelope: EventEnvelope): ProviderEvent | undefined {
  if (envelope.type !== 'provider_settings_updated') return undefined;
  return { type: envelope.type, data: envelope.data as ProviderEvent['data'], occurredAt: envelope.occurredAt };
}

/** Applies one change, field by field (absent fields keep their value). */
export function evolveProviders(state: ProviderSettingsState, event: ProviderEvent): ProviderSettingsState {
  const { provider_id: id, ...fields } = event.data;
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  const map = new Map(state);
  map.set(id, { ...map.get(id), ...defined, updated_at: event.occurredAt ?? map.get(id)?.updated_at ?? '' });
  return map;
}

/** Folds `provider_settings_updated` events, field by field (absent fields keep their value). */
export function foldProviders(events: readonly EventEnvelope[]): ProviderSettingsState {
  let state: ProviderSettingsState = new Map();
  for (const envelope of events) {
    const event = toProviderEvent(envelope);
    if (event !== undefined) state = evolveProviders(state, event);
  }
  return state;
}

/** The sealed key a provider's settings point to: by reference, else (older events) inline. */
export function sealedKeyOf(p: ApiProvider, sealedByRef: ReadonlyMap<string, string>): string | undefined {
  if (p.api_key_ref) return sealedByRef.get(p.api_key_ref);
  return p.api_key_encrypted ?? undefined;
}

/** The API's part of the llm settings, keys decrypted (to merge over the environment's). */
export function apiLlmSettings(state: ReadonlyMap<string, ApiProvider>, box: SecretBox, sealedByRef: ReadonlyMap<string, string>): Partial<LlmSettings> {
  const providers: Record<string, ProviderSettings> = {};
  for (const [id, p] of state) {
    const sealed = sealedKeyOf(p, sealedByRef);
    providers[id] = {
      ...(p.kind ? { kind: p.kind } : {}),
      ...(p.base_url ? { base_url: p.base_url } : {}),
      ...(sealed ? { api_key: box.open(sealed) } : {}),
      ...(p.enabled === undefined ? {} : { enabled: p.enabled }),
    };
  }
  return { providers };
}

/** Views of every provider the environment or the API configured. */
export function providerViews(env: LlmSettings, state: ReadonlyMap<string, ApiProvider>, envMask: (key: string) => string): ProviderView[] {
  const ids = [...new Set([...Object.keys(env.providers), ...state.keys()])].sort();
  return ids.map((id) => {
    const e = env.providers[id];
    const a = state.get(id);
    const kind = a?.kind ?? e?.kind ?? KNOWN_PROVIDERS[id]?.kind ?? 'openai';
    const baseUrl = a?.base_url ?? e?.base_url ?? KNOWN_PROVIDERS[id]?.base_url;
    const masked = a?.api_key_masked ?? (e?.api_key ? envMask(e.api_key) : undefined);
    return {
      id, kind, enabled: a?.enabled ?? e?.enabled ?? true,
      api_key_set: masked !== undefined,
      source: e && a ? 'env+api' : a ? 'api' : 'env',
      ...(baseUrl ? { base_url: baseUrl } : {}),
      ...(masked ? { api_key_masked: masked } : {}),
      ...(a ? { updated_at: new Date(a.updated_at).toISOString() } : {}),
    };
  });
}
