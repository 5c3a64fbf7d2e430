import { z } from 'zod';
import { priceMapSchema, type PriceMap } from './prices';

const providerIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'provider ids are lower-case letters, digits, _ or -');

/** One configured provider. `kind` is the wire protocol; the id is the model-name prefix. */
export const providerSettingsSchema = z.object({
  kind: z.enum(['openai', 'anthropic', 'dry-run']).optional(),
  base_url: z.url().optional(),
  api_key: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** false turns off a provider configured elsewhere (e.g. by env). */
  enabled: z.boolean().optional(),
  /** OpenAI-compatible only: the field of the output limit. */
  max_tokens_param: z.enum(['max_tokens', 'max_completion_tokens']).optional(),
  anthropic_version: z.string().min(1).optional(),
  timeout_ms: z.number().int().positive().optional(),
  idle_timeout_ms: z.number().int().positive().optional(),
  max_attempts: z.number().int().min(1).max(20).optional(),
  /** dry-run only: pause before each streamed piece. */
  chunk_delay_ms: z.number().int().nonnegative().optional(),
});

export type ProviderSettings = Readonly<z.infer<typeof providerSettingsSchema>>;

/** All of the library's configuration, as env or the settings API give it. */
export const llmSettingsSchema = z.object({
  providers: z.record(providerIdSchema, providerSettingsSchema),
  prices: priceMapSchema.optional(),
  retry: z
    .object({
      max_attempts: z.number().int().min(1).max(20),
      base_delay_ms: z.number().int().nonnegative(),
      max_delay_ms: z.number().int().nonnegative(),
      max_retry_after_ms: z.number().int().nonnegative(),
    })
    .partial()
    .optional(),
  timeout_ms: z.number().int().positive().optional(),
  idle_timeout_ms: z.number().int().positive().optional(),
});

export interface LlmSettings {
  readonly providers: Readonly<Record<string, ProviderSettings>>;
  readonly prices?: PriceMap;
  readonly retry?: Readonly<z.infer<typeof llmSettingsSchema>['retry']>;
  readonly timeout_ms?: number;
  readonly idle_timeout_ms?: number;
}

/** Where the well-known providers live, so settings need only a key. */
export const KNOWN_PROVIDERS: Readonly<Record<string, { readonly kind: 'openai' | 'anthropic' | 'dry-run'; readonly base_url?: string }>> = {
  openai: { kind: 'openai', base_url: 'https://api.openai.com/v1' },
  anthropic: { kind: 'anthropic', base_url: 'https://api.anthropic.com' },
  openrouter: { kind: 'openai', base_url: 'https://openrouter.ai/api/v1' },
  ollama: { kind: 'openai', base_url: 'http://127.0.0.1:11434/v1' },
  'dry-run': { kind: 'dry-run' },
};

/**
 * Overlays settings: providers merge field by field (a later `api_key` replaces an env one),
 * prices model by model, retry field by field; later arguments win.
 */
export function mergeLlmSettings(base: LlmSettings, ...overrides: ReadonlyArray<Partial<LlmSettings> | undefined>): LlmSettings {
  let merged: LlmSettings = base;
  for (const override of overrides) {
    if (!override) continue;
    const providers: Record<string, ProviderSettings> = { ...merged.providers };
    for (const [id, settings] of Object.entries(override.providers ?? {})) providers[id] = { ...providers[id], ...settings };
    merged = {
      ...merged,
      ...override,
      providers,
      prices: { ...merged.prices, ...override.prices },
      retry: { ...merged.retry, ...override.retry },
    };
  }
  return merged;
}
