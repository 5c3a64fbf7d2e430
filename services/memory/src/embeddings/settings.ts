import type { Pool } from 'pg';
import { foldEnvelopes, handleCommand, type Decider, type EventStore, type NewEventMeta } from '@cadre/eventstore';
import type { Logger } from '@cadre/logging';
import type { EmbeddingProviderView, EventEnvelope } from '@cadre/proto';
import type { SecretBox } from '@cadre/runtime';
import type { Pgvector } from './pgvector';
import type { EmbeddingProvider } from './provider';
import { embeddingsRuntime, type EmbeddingsRuntime } from './runtime';

export const PROVIDER_STREAM = 'memory-embedding-provider';

/** A provider as set through the API (its key apart, sealed in its table). */
export interface ApiProvider {
  readonly base_url: string;
  readonly model: string;
  readonly dimensions: number | null;
  readonly api_key_set: boolean;
}

export interface ProviderState {
  readonly provider: ApiProvider | null;
  readonly updatedAt: string | null;
}

export type ProviderCommand =
  | { readonly kind: 'set'; readonly provider: ApiProvider }
  | { readonly kind: 'remove' };

export type ProviderEvent =
  | { readonly type: 'memory_embedding_provider_set'; readonly data: ApiProvider }
  | { readonly type: 'memory_embedding_provider_removed'; readonly data: Record<string, never> };

/**
 * The provider set through the API: a set is always a change (its key may be new though nothing
 * else is, and replicas rebuild their provider at each new version); removing when nothing was
 * set changes nothing.
 */
export const providerDecider: Decider<ProviderCommand, ProviderState, ProviderEvent> = {
  initialState: { provider: null, updatedAt: null },
  decide(command, state) {
    if (command.kind === 'set') return [{ type: 'memory_embedding_provider_set' as const, data: command.provider }];
    return state.provider === null ? [] : [{ type: 'memory_embedding_provider_removed' as const, data: {} }];
  },
  evolve: (_state, event) => ({ provider: event.type === 'memory_embedding_provider_set' ? event.data : null, updatedAt: null }),
  fromEnvelope: (envelope: EventEnvelope) =>
    envelope.type === 'memory_embedding_provider_set' || envelope.type === 'memory_embedding_provider_removed' ? (envelope as unknown as ProviderEvent) : undefined,
};

/** The environment's provider (MEMORY_EMBEDDINGS_*, or one given in code), the default. */
export interface DefaultProvider {
  readonly provider: EmbeddingProvider;
  readonly baseUrl: string | null;
  readonly dimensions: number | null;
  readonly apiKeySet: boolean;
}

export interface ProviderSettings {
  /** The provider at work with its embedders and vector searches, current on every call (one version lookup). */
  current(): Promise<EmbeddingsRuntime | undefined>;
  view(): Promise<EmbeddingProviderView>;
  set(request: { base_url: string; model: string; dimensions?: number | null | undefined; api_key?: string | null | undefined }, meta: NewEventMeta): Promise<EmbeddingProviderView>;
  remove(meta: NewEventMeta): Promise<EmbeddingProviderView>;
}

export interface ProviderSettingsOptions {
  readonly pool: Pool;
  readonly schema: string;
  readonly store: EventStore;
  readonly box: SecretBox;
  readonly logger: Logger;
  readonly pgvector: Pgvector | undefined;
  readonly fallback: DefaultProvider | undefined;
  /** How a provider set through the API is made (batch size, timeout from the config). */
  readonly make: (options: { baseUrl: string; model: string; apiKey?: string; dimensions?: number }) => EmbeddingProvider;
}

/**
 * The embeddings provider of every replica: the one an admin set through the API (its key
 * sealed at rest, opened only to call the provider), else the environment's. Each call looks up
 * the provider stream's version (one small query), so a change made on any replica is used by
 * the next search on every other, without a restart; the runtime is rebuilt only when it moved.
 */
/** A setting made once per schema (the first replica's value wins). */
export async function settingOnce(pool: Pool, schema: string, name: string, create: () => string): Promise<string> {
  await pool.query(`insert into "${schema}".memory_settings (name, value) values ($1, $2) on conflict (name) do nothing`, [name, create()]);
  const { rows } = await pool.query<{ value: string }>(`select value from "${schema}".memory_settings where name = $1`, [name]);
  if (rows[0] === undefined) throw new Error(`setting ${name} vanished`);
  return rows[0].value;
}

export function createProviderSettings(options: ProviderSettingsOptions): ProviderSettings {
  const { pool, schema, store, box, logger, pgvector, fallback } = options;
  const s = `"${schema}"`;
  let fallbackRuntime: EmbeddingsRuntime | undefined;
  const defaultRuntime = () => (fallback ? (fallbackRuntime ??= embeddingsRuntime(pool, schema, fallback.provider, pgvector, logger)) : undefined);
  let cached: { version: number; runtime: Promise<EmbeddingsRuntime | undefined> } | undefined;

  const read = async (): Promise<ProviderState> => {
    const events = await store.readStream(PROVIDER_STREAM);
    const state = foldEnvelopes(providerDecider, providerDecider.initialState, events);
    return { ...state, updatedAt: events.at(-1)?.occurredAt ?? null };
  };
  const sealedKey = async (): Promise<string | undefined> =>
    (await pool.query<{ sealed: string }>(`select sealed from ${s}.embedding_provider_key`)).rows[0]?.sealed;

  const build = async (): Promise<EmbeddingsRuntime | undefined> => {
    const { provider } = await read();
    if (provider === null) return defaultRuntime();
    const sealed = provider.api_key_set ? await sealedKey() : undefined;
    const made = options.make({
      baseUrl: provider.base_url, model: provider.model,
      ...(sealed !== undefined ? { apiKey: box.open(sealed) } : {}), ...(provider.dimensions !== null ? { dimensions: provider.dimensions } : {}),
    });
    logger.info({ model: provider.model, baseUrl: provider.base_url }, 'embeddings provider set through the API in use');
    return embeddingsRuntime(pool, schema, made, pgvector, logger);
  };

  const view = (state: ProviderState): EmbeddingProviderView => {
    const updatedAt = state.updatedAt === null ? null : new Date(state.updatedAt).toISOString();
    if (state.provider !== null) {
      return { source: 'api', base_url: state.provider.base_url, model: state.provider.model, dimensions: state.provider.dimensions, api_key_set: state.provider.api_key_set, updated_at: updatedAt };
    }
    if (fallback) {
      return { source: 'environment', base_url: fallback.baseUrl, model: fallback.provider.model, dimensions: fallback.dimensions, api_key_set: fallback.apiKeySet, updated_at: updatedAt };
    }
    return { source: 'none', base_url: null, model: null, dimensions: null, api_key_set: false, updated_at: updatedAt };
  };

  return {
    async current() {
      const version = await store.streamVersion(PROVIDER_STREAM);
      if (cached === undefined || cached.version !== version) {
        const runtime = build();
        // A failure (the database, a key sealed with another CADRE_SECRET_KEY) is tried again on the next call.
        runtime.catch(() => { if (cached?.runtime === runtime) cached = undefined; });
        cached = { version, runtime };
      }
      return cached.runtime;
    },
    view: async () => view(await read()),
    async set(request, meta) {
      let keySet: boolean;
      if (typeof request.api_key === 'string') {
        // Sealed in its table before the event that says a key is set is appended; the event never holds it.
        const sealed = box.seal(request.api_key);
        await pool.query(
          `insert into ${s}.embedding_provider_key (singleton, sealed, updated_at) values (true, $1, now())
           on conflict (singleton) do update set sealed = excluded.sealed, updated_at = excluded.updated_at`, [sealed],
        );
        keySet = true;
      } else if (request.api_key === null) {
        await pool.query(`delete from ${s}.embedding_provider_key`);
        keySet = false;
      } else {
        keySet = (await read()).provider?.api_key_set === true && (await sealedKey()) !== undefined;
      }
      const provider: ApiProvider = { base_url: request.base_url, model: request.model, dimensions: request.dimensions ?? null, api_key_set: keySet };
      await handleCommand(store, providerDecider, { stream: PROVIDER_STREAM, command: { kind: 'set', provider }, meta, subjectScope: 'settings' });
      return view(await read());
    },
    async remove(meta) {
      await handleCommand(store, providerDecider, { stream: PROVIDER_STREAM, command: { kind: 'remove' }, meta, subjectScope: 'settings' });
      await pool.query(`delete from ${s}.embedding_provider_key`);
      return view(await read());
    },
  };
}
