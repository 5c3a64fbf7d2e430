import { ConfigError, env, loadConfig } from '@cadre/config';
import { z } from 'zod';
import { priceMapSchema } from './prices';
import { providerSettingsSchema, type LlmSettings, type ProviderSettings } from './settings';

type Env = Readonly<Record<string, string | undefined>>;

const pricesVariable = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `not valid JSON: ${(error as Error).message}` });
      return z.NEVER;
    }
    const parsed = priceMapSchema.safeParse(json);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: `${issue.path.join('.')}: ${issue.message}` });
    return z.NEVER;
  });

/** The fixed variables of the library (`CADRE_PROVIDER_<NAME>_*` are read apart). */
export const llmConfigShape = {
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: env.url().optional(),
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: env.url().optional(),
  OPENROUTER_API_KEY: z.string().optional(),
  OLLAMA_HOST: z.string().optional().describe('host:port or URL of Ollama (default 127.0.0.1:11434)'),
  CADRE_MODEL_PRICES: pricesVariable.describe('JSON: {"provider/model": {"input": USD per 1M, "output": …}}'),
  CADRE_LLM_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).optional(),
  CADRE_LLM_TIMEOUT_MS: z.coerce.number().int().positive().optional().describe('until the response headers'),
  CADRE_LLM_IDLE_TIMEOUT_MS: z.coerce.number().int().positive().optional().describe('longest pause inside a stream'),
  CADRE_DRY_RUN_CHUNK_DELAY_MS: z.coerce.number().int().nonnegative().optional(),
};

/** Ollama's own variable is often `0.0.0.0:11434` without a scheme. */
function ollamaBaseUrl(host: string): string {
  const withScheme = /^https?:\/\//.test(host) ? host : `http://${host}`;
  return `${withScheme.replace(/\/+$/, '')}/v1`;
}

const GENERIC = /^CADRE_PROVIDER_([A-Z0-9_]+?)_(BASE_URL|API_KEY|KIND)$/;

/** Reads `CADRE_PROVIDER_<NAME>_BASE_URL|API_KEY|KIND`: any compatible endpoint by name. */
function genericProviders(environment: Env): Record<string, ProviderSettings> {
  const raw: Record<string, Record<string, string>> = {};
  for (const [name, value] of Object.entries(environment)) {
    const match = GENERIC.exec(name);
    if (!match || value === undefined || value === '') continue;
    const id = (match[1] ?? '').toLowerCase().replace(/_/g, '-');
    const field = match[2] === 'BASE_URL' ? 'base_url' : match[2] === 'API_KEY' ? 'api_key' : 'kind';
    raw[id] = { ...raw[id], [field]: value };
  }
  const out: Record<string, ProviderSettings> = {};
  for (const [id, fields] of Object.entries(raw)) {
    const parsed = providerSettingsSchema.safeParse(fields);
    if (!parsed.success) {
      const prefix = `CADRE_PROVIDER_${id.toUpperCase().replace(/-/g, '_')}_`;
      throw new ConfigError(parsed.error.issues.map((issue) => ({ variable: `${prefix}${String(issue.path[0] ?? '').toUpperCase()}`, message: issue.message })));
    }
    out[id] = parsed.data;
  }
  return out;
}

/**
 * Settings from the environment: OpenAI, Anthropic and OpenRouter when a key or URL is set,
 * Ollama and dry-run always, and every `CADRE_PROVIDER_<NAME>_*` endpoint. A bad variable
 * throws a ConfigError naming it.
 */
export function llmSettingsFromEnv(environment: Env = process.env): LlmSettings {
  const config = loadConfig(llmConfigShape, environment);
  const providers: Record<string, ProviderSettings> = {};
  if (config.OPENAI_API_KEY || config.OPENAI_BASE_URL) {
    providers.openai = {
      kind: 'openai',
      ...(config.OPENAI_BASE_URL ? { base_url: config.OPENAI_BASE_URL } : { max_tokens_param: 'max_completion_tokens' }),
      ...(config.OPENAI_API_KEY ? { api_key: config.OPENAI_API_KEY } : {}),
    };
  }
  if (config.ANTHROPIC_API_KEY || config.ANTHROPIC_BASE_URL) {
    providers.anthropic = {
      kind: 'anthropic',
      ...(config.ANTHROPIC_BASE_URL ? { base_url: config.ANTHROPIC_BASE_URL } : {}),
      ...(config.ANTHROPIC_API_KEY ? { api_key: config.ANTHROPIC_API_KEY } : {}),
    };
  }
  if (config.OPENROUTER_API_KEY) providers.openrouter = { kind: 'openai', api_key: config.OPENROUTER_API_KEY };
  providers.ollama = { kind: 'openai', ...(config.OLLAMA_HOST ? { base_url: ollamaBaseUrl(config.OLLAMA_HOST) } : {}) };
  providers['dry-run'] = {
    kind: 'dry-run',
    ...(config.CADRE_DRY_RUN_CHUNK_DELAY_MS === undefined ? {} : { chunk_delay_ms: config.CADRE_DRY_RUN_CHUNK_DELAY_MS }),
  };
  Object.assign(providers, genericProviders(environment));
  return {
    providers,
    ...(config.CADRE_MODEL_PRICES ? { prices: config.CADRE_MODEL_PRICES } : {}),
    ...(config.CADRE_LLM_MAX_ATTEMPTS === undefined ? {} : { retry: { max_attempts: config.CADRE_LLM_MAX_ATTEMPTS } }),
    ...(config.CADRE_LLM_TIMEOUT_MS === undefined ? {} : { timeout_ms: config.CADRE_LLM_TIMEOUT_MS }),
    ...(config.CADRE_LLM_IDLE_TIMEOUT_MS === undefined ? {} : { idle_timeout_ms: config.CADRE_LLM_IDLE_TIMEOUT_MS }),
  };
}
