import { parseOrThrow, ValidationError } from '@cadre/proto';
import { performance } from 'node:perf_hooks';
import { createAnthropicProvider } from './anthropic/provider';
import { recordCall, type LlmCallHook } from './call-record';
import { collect, type LlmResult } from './complete';
import { createDryRunProvider } from './dry-run/provider';
import { llmSettingsFromEnv } from './env';
import { createOpenAiProvider } from './openai/provider';
import { createPriceTable, type PriceTable } from './prices';
import { parseModelName, validateRequest } from './request';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry';
import { KNOWN_PROVIDERS, llmSettingsSchema, type LlmSettings, type ProviderSettings } from './settings';
import type { TransportOptions } from './transport';
import type { LlmLogger, LlmProvider, LlmRequest, LlmStreamEvent, LlmStreamOptions } from './types';

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

/** Per-call options of a registry: a signal, and a hook for this call's record. */
export interface LlmCallOptions extends LlmStreamOptions {
  readonly onCall?: LlmCallHook;
}

export interface LlmRegistryOptions {
  /** Called with the record of every call through the registry. */
  readonly onCall?: LlmCallHook;
  readonly logger?: LlmLogger;
  /** Monotonic milliseconds for durations (default performance.now). */
  readonly now?: () => number;
  /** Wall clock for `Retry-After` dates (default Date.now). */
  readonly wallClock?: () => number;
  readonly random?: () => number;
}

/** A provider, the model name it knows, and its id (the prefix). */
export interface ResolvedModel {
  readonly providerId: string;
  readonly model: string;
  readonly provider: LlmProvider;
}

/** The configured providers behind `provider/model` names; itself a provider of prefixed names. */
export interface LlmRegistry extends LlmProvider {
  readonly providerIds: readonly string[];
  readonly prices: PriceTable;
  /** Throws a ValidationError for a malformed name or an unknown provider. */
  resolve(model: string): ResolvedModel;
  /** Validates the request at once (ValidationError), then streams; records the call. */
  stream(request: LlmRequest, options?: LlmCallOptions): AsyncIterable<LlmStreamEvent>;
  complete(request: LlmRequest, options?: LlmCallOptions): Promise<LlmResult>;
}

function buildProvider(id: string, settings: ProviderSettings, all: LlmSettings, options: LlmRegistryOptions): LlmProvider {
  const known = KNOWN_PROVIDERS[id];
  const kind = settings.kind ?? known?.kind ?? 'openai';
  if (kind === 'dry-run') return createDryRunProvider({ id, ...(settings.chunk_delay_ms === undefined ? {} : { chunkDelayMs: settings.chunk_delay_ms }) });
  const baseUrl = settings.base_url ?? (known?.kind === kind ? known.base_url : undefined);
  if (!baseUrl) throw new ValidationError(`provider "${id}" needs a base URL`, [{ path: `providers.${id}.base_url`, message: 'required' }]);
  const retry: RetryPolicy = {
    maxAttempts: settings.max_attempts ?? all.retry?.max_attempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
    baseDelayMs: all.retry?.base_delay_ms ?? DEFAULT_RETRY_POLICY.baseDelayMs,
    maxDelayMs: all.retry?.max_delay_ms ?? DEFAULT_RETRY_POLICY.maxDelayMs,
    maxRetryAfterMs: all.retry?.max_retry_after_ms ?? DEFAULT_RETRY_POLICY.maxRetryAfterMs,
  };
  const transport: TransportOptions = {
    timeoutMs: settings.timeout_ms ?? all.timeout_ms ?? DEFAULT_TIMEOUT_MS,
    idleTimeoutMs: settings.idle_timeout_ms ?? all.idle_timeout_ms ?? DEFAULT_IDLE_TIMEOUT_MS,
    retry,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.wallClock ? { now: options.wallClock } : {}),
  };
  const common = { id, baseUrl, transport, ...(settings.api_key ? { apiKey: settings.api_key } : {}), ...(settings.headers ? { headers: settings.headers } : {}) };
  if (kind === 'anthropic') return createAnthropicProvider({ ...common, ...(settings.anthropic_version ? { version: settings.anthropic_version } : {}) });
  return createOpenAiProvider({ ...common, ...(settings.max_tokens_param ? { maxTokensParam: settings.max_tokens_param } : {}) });
}

/**
 * Builds the registry from a plain settings object (env, the settings API, or both merged with
 * mergeLlmSettings). Invalid settings throw a ValidationError naming the field.
 */
export function createLlmRegistry(settingsInput: LlmSettings, options: LlmRegistryOptions = {}): LlmRegistry {
  const settings: LlmSettings = parseOrThrow(llmSettingsSchema, settingsInput, 'llm settings');
  const providers = new Map<string, LlmProvider>();
  for (const [id, providerSettings] of Object.entries(settings.providers)) {
    if (providerSettings.enabled === false) continue;
    providers.set(id, buildProvider(id, providerSettings, settings, options));
  }
  const prices = createPriceTable(settings.prices);
  const now = options.now ?? (() => performance.now());
  const providerIds = [...providers.keys()].sort();

  const resolve = (name: string): ResolvedModel => {
    const { provider: providerId, model } = parseModelName(name);
    const provider = providers.get(providerId);
    if (!provider) {
      throw new ValidationError(`unknown provider "${providerId}" in model "${name}"; configured: ${providerIds.join(', ') || 'none'}`, [
        { path: 'model', message: `unknown provider "${providerId}"` },
      ]);
    }
    return { providerId, model, provider };
  };

  const stream = (input: LlmRequest, callOptions: LlmCallOptions = {}): AsyncIterable<LlmStreamEvent> => {
    const request = validateRequest(input);
    const resolved = resolve(request.model);
    const hooks = [options.onCall, callOptions.onCall].filter((hook): hook is LlmCallHook => hook !== undefined);
    const inner = resolved.provider.stream({ ...request, model: resolved.model }, callOptions.signal ? { signal: callOptions.signal } : {});
    return recordCall(inner, {
      provider: resolved.providerId, model: resolved.model, prices, now, hooks, ...(options.logger ? { logger: options.logger } : {}),
    });
  };

  return {
    id: 'registry',
    providerIds,
    prices,
    resolve,
    stream,
    complete: async (request, callOptions) => collect(stream(request, callOptions)),
  };
}

/** The registry configured by the environment (see llmSettingsFromEnv). */
export function llmRegistryFromEnv(environment: Readonly<Record<string, string | undefined>> = process.env, options: LlmRegistryOptions = {}): LlmRegistry {
  return createLlmRegistry(llmSettingsFromEnv(environment), options);
}
