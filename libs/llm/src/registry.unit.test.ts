import { ConfigError } from '@cadre/config';
import { ValidationError } from '@cadre/proto';
import { llmSettingsFromEnv } from './env';
import { createLlmRegistry, llmRegistryFromEnv } from './registry';
import { mergeLlmSettings } from './settings';

const request = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'hi' }] });

function validationError(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('provider registry', () => {
  const registry = llmRegistryFromEnv({});

  it('rejects a model name without a provider or a model', () => {
    for (const name of ['gpt-4o', '/gpt-4o', 'openai/', 'Open AI/x']) {
      const error = validationError(() => registry.stream(request(name)));
      expect(error.details).toEqual([{ path: 'model', message: 'expected provider/model' }]);
    }
  });

  it('rejects an unknown provider and names the configured ones', () => {
    const error = validationError(() => registry.resolve('acme/model-1'));
    expect(error.message).toBe('unknown provider "acme" in model "acme/model-1"; configured: dry-run, ollama');
  });

  it('rejects a malformed request before any call, naming the field', async () => {
    const error = validationError(() => registry.stream({ ...request('dry-run/echo'), maxTokens: -1 }));
    expect(error.details).toEqual([expect.objectContaining({ path: 'maxTokens' })]);
    await expect(registry.complete({ ...request('dry-run/echo'), temperature: 9 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('keeps everything after the first slash as the model name', () => {
    const withRouter = createLlmRegistry({ providers: { openrouter: { api_key: 'k' } } });
    expect(withRouter.resolve('openrouter/meta-llama/llama-3-70b')).toMatchObject({ providerId: 'openrouter', model: 'meta-llama/llama-3-70b' });
  });

  it('needs a base URL for a provider it does not know', () => {
    const error = validationError(() => createLlmRegistry({ providers: { vllm: { kind: 'openai' } } }));
    expect(error.details).toEqual([{ path: 'providers.vllm.base_url', message: 'required' }]);
  });
});

describe('provider settings', () => {
  it('configures providers from the environment', () => {
    const settings = llmSettingsFromEnv({
      OPENAI_API_KEY: 'sk-1',
      ANTHROPIC_API_KEY: 'ak-1',
      ANTHROPIC_BASE_URL: 'http://proxy:8080',
      OLLAMA_HOST: '0.0.0.0:11434',
      CADRE_PROVIDER_MY_VLLM_BASE_URL: 'http://vllm:8000/v1',
      CADRE_PROVIDER_MY_VLLM_API_KEY: 'v-1',
      CADRE_MODEL_PRICES: '{"my-vllm/qwen": {"input": 0.1, "output": 0.2}}',
      CADRE_LLM_MAX_ATTEMPTS: '2',
    });
    expect(settings.providers).toEqual({
      openai: { kind: 'openai', api_key: 'sk-1', max_tokens_param: 'max_completion_tokens' },
      anthropic: { kind: 'anthropic', base_url: 'http://proxy:8080', api_key: 'ak-1' },
      ollama: { kind: 'openai', base_url: 'http://0.0.0.0:11434/v1' },
      'dry-run': { kind: 'dry-run' },
      'my-vllm': { base_url: 'http://vllm:8000/v1', api_key: 'v-1' },
    });
    expect(settings.retry).toEqual({ max_attempts: 2 });
    const registry = createLlmRegistry(settings);
    expect(registry.providerIds).toEqual(['anthropic', 'dry-run', 'my-vllm', 'ollama', 'openai']);
    expect(registry.prices.costOf('my-vllm/qwen', { inputTokens: 1_000_000, outputTokens: 0 })).toEqual({ usd: 0.1, known: true });
  });

  it('names a bad variable', () => {
    expect(() => llmSettingsFromEnv({ CADRE_MODEL_PRICES: '[' })).toThrow(/CADRE_MODEL_PRICES/);
    expect(() => llmSettingsFromEnv({ CADRE_PROVIDER_X_BASE_URL: 'not a url' })).toThrow(ConfigError);
    expect(() => llmSettingsFromEnv({ CADRE_PROVIDER_X_BASE_URL: 'not a url' })).toThrow(/CADRE_PROVIDER_X_BASE_URL/);
  });

  it('lets runtime settings override env field by field and turn a provider off', () => {
    const merged = mergeLlmSettings(
      llmSettingsFromEnv({ OPENAI_API_KEY: 'from-env', ANTHROPIC_API_KEY: 'a' }),
      { providers: { openai: { api_key: 'from-api' }, anthropic: { enabled: false } }, prices: { 'openai/gpt-4o': { input: 1, output: 1 } } },
    );
    expect(merged.providers.openai).toMatchObject({ kind: 'openai', api_key: 'from-api' });
    const registry = createLlmRegistry(merged);
    expect(registry.providerIds).not.toContain('anthropic');
    expect(registry.prices.lookup('openai/gpt-4o')).toEqual({ input: 1, output: 1 });
  });
});
