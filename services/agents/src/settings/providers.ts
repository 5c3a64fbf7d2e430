import { randomUUID } from 'node:crypto';
import type { Bus, Subscription } from '@cadre/bus';
import type { Kysely } from 'kysely';
import type { AgentsDatabase } from '../storage/database';
import { handleCommand, type EventStore, type NewEventMeta } from '@cadre/eventstore';
import { createLlmRegistry, mergeLlmSettings, type LlmCallHook, type LlmRegistry, type LlmSettings } from '@cadre/llm';
import type { Logger } from '@cadre/logging';
import { NotFoundError, eventTypeFilter, providerSettingsUpdated, type ProviderView, type providerUpdate } from '@cadre/proto';
import type { z } from 'zod';
import { maskSecret, type SecretBox } from './crypto';
import { providerSettingsDecider } from './provider-decider';
import { apiLlmSettings, foldProviders, PROVIDERS_STREAM, providerViews, type ApiProvider } from './provider-state';

/** Provider settings (env overlaid by the API) and the model registry built from them. */
export interface ProviderSettingsService {
  registry(): LlmRegistry;
  /**
   * The registry for a model: when its provider is unknown here, the settings are read again
   * first, since another replica may have just added it and its event may not have arrived yet.
   */
  registryFor(model: string): Promise<LlmRegistry>;
  list(): Promise<ProviderView[]>;
  update(request: z.infer<typeof providerUpdate.request>, meta: NewEventMeta): Promise<ProviderView>;
  /** Plain-text keys by provider (admin). */
  keys(): Promise<Record<string, string>>;
  /** Rebuilds the registry when any replica changes the settings. */
  follow(bus: Bus): Promise<Subscription>;
}

export interface ProviderSettingsOptions {
  readonly store: EventStore;
  /** The service's tables (the sealed keys). */
  readonly db: Kysely<AgentsDatabase>;
  readonly env: LlmSettings;
  readonly box: SecretBox;
  readonly logger: Logger;
  readonly onCall?: LlmCallHook;
}

export async function createProviderSettings(options: ProviderSettingsOptions): Promise<ProviderSettingsService> {
  const { store, env, box, logger, db } = options;
  // Sealed keys by reference: rows are written once and never change, so what was read stays true.
  const sealedByRef = new Map<string, string>();
  const build = (state: ReadonlyMap<string, ApiProvider>): LlmRegistry =>
    createLlmRegistry(mergeLlmSettings(env, apiLlmSettings(state, box, sealedByRef)), { logger, ...(options.onCall ? { onCall: options.onCall } : {}) });
  const read = async (): Promise<ReadonlyMap<string, ApiProvider>> => {
    const state = foldProviders(await store.readStream(PROVIDERS_STREAM));
    const missing = [...state.values()].flatMap((p) => (p.api_key_ref && !sealedByRef.has(p.api_key_ref) ? [p.api_key_ref] : []));
    if (missing.length > 0) {
      for (const row of await db.selectFrom('provider_keys').select(['ref', 'sealed']).where('ref', 'in', missing).execute()) sealedByRef.set(row.ref, row.sealed);
    }
    return state;
  };

  let current = build(await read());
  const reload = async (): Promise<void> => {
    try {
      current = build(await read());
    } catch (err) {
      // Keep the working registry: a half-configured provider must not stop every agent.
      logger.error({ err }, 'provider settings could not be applied; keeping the previous ones');
    }
  };
  const envMask = (key: string): string => maskSecret(key);
  // Settings the registry cannot build (e.g. a new provider without a base URL) are refused before they are stored.
  const decider = providerSettingsDecider((settings) => void build(settings));

  return {
    registry: () => current,
    async registryFor(model) {
      const prefix = model.split('/')[0] ?? '';
      if (!current.providerIds.includes(prefix)) await reload();
      return current;
    },
    list: async () => providerViews(env, await read(), envMask),
    async update(request, meta) {
      const { id, api_key: apiKey, ...rest } = request;
      // The key is sealed into a row of its own before the event that points to it is appended;
      // the event carries the reference and a mask, never the key, sealed or not.
      const ref = typeof apiKey === 'string' ? randomUUID() : undefined;
      if (ref !== undefined && typeof apiKey === 'string') {
        const sealed = box.seal(apiKey);
        await db.insertInto('provider_keys').values({ ref, sealed }).execute();
        sealedByRef.set(ref, sealed);
      }
      const data = {
        provider_id: id, ...rest,
        ...(apiKey === undefined ? {} : apiKey === null
          ? { api_key_ref: null, api_key_encrypted: null, api_key_masked: null }
          : { api_key_ref: ref, api_key_encrypted: null, api_key_masked: maskSecret(apiKey) }),
      };
      let state: ReadonlyMap<string, ApiProvider>;
      try {
        ({ state } = await handleCommand(store, decider, {
          stream: PROVIDERS_STREAM, command: { data, now: new Date() }, meta, subjectScope: 'settings',
          // This replica's registry follows at once (the others when the event reaches them).
          reactions: [reload],
        }));
      } catch (error) {
        if (ref !== undefined) {
          sealedByRef.delete(ref);
          await db.deleteFrom('provider_keys').where('ref', '=', ref).execute().catch(() => undefined);
        }
        throw error;
      }
      const view = providerViews(env, state, envMask).find((p) => p.id === id);
      if (!view) throw new NotFoundError(`no provider "${id}"`);
      return view;
    },
    async keys() {
      const merged = mergeLlmSettings(env, apiLlmSettings(await read(), box, sealedByRef));
      return Object.fromEntries(Object.entries(merged.providers).flatMap(([id, p]) => (p.api_key ? [[id, p.api_key]] : [])));
    },
    async follow(bus) {
      const subscription = await bus.events.replay({ fromSeq: (await bus.events.lastSeq()) + 1, filterSubject: eventTypeFilter(providerSettingsUpdated) }, () => reload());
      // A change made between the first read and the subscription would otherwise be missed.
      await reload();
      return subscription;
    },
  };
}
