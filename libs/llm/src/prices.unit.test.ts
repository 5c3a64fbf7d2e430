import { ValidationError } from '@cadre/proto';
import { costOf, createPriceTable, parsePriceJson } from './prices';

describe('price table', () => {
  it('prices input and output per million tokens', () => {
    const cost = costOf('openai/gpt-4o-mini', { inputTokens: 1_000_000, outputTokens: 500_000 });
    expect(cost).toEqual({ usd: 0.45, known: true });
  });

  it('finds a model by its bare name, its snapshot and its OpenRouter vendor path', () => {
    const table = createPriceTable();
    expect(table.lookup('anthropic/claude-sonnet-4-20250514')).toEqual(table.lookup('claude-sonnet-4'));
    expect(table.lookup('litellm/gpt-4o-2024-08-06')).toEqual(table.prices['gpt-4o']);
    expect(table.lookup('openrouter/openai/gpt-4o-mini')).toEqual(table.prices['gpt-4o-mini']);
  });

  it('does not take a longer model name for a shorter one', () => {
    expect(createPriceTable().lookup('openai/gpt-4o-audio-preview')).toBeUndefined();
  });

  it('prices cached input apart from the rest of the input', () => {
    const cost = costOf('anthropic/claude-sonnet-4', { inputTokens: 3_000_000, outputTokens: 0, cacheReadTokens: 1_000_000, cacheWriteTokens: 1_000_000 });
    expect(cost.usd).toBeCloseTo(3 + 0.3 + 3.75, 9);
  });

  it('flags an unknown model and costs it nothing', () => {
    expect(costOf('acme/mystery-1', { inputTokens: 10, outputTokens: 10 })).toEqual({ usd: 0, known: false });
  });

  it('knows that local and dry-run models are free', () => {
    expect(costOf('ollama/llama3', { inputTokens: 10, outputTokens: 10 })).toEqual({ usd: 0, known: true });
    expect(costOf('dry-run/echo', { inputTokens: 10, outputTokens: 10 })).toEqual({ usd: 0, known: true });
  });

  it('lets later overrides win, model by model', () => {
    const table = createPriceTable({ 'gpt-4o-mini': { input: 1, output: 2 } }, { 'openai/gpt-4o-mini': { input: 3, output: 4 } });
    expect(table.costOf('openai/gpt-4o-mini', { inputTokens: 1_000_000, outputTokens: 1_000_000 }).usd).toBe(7);
    expect(table.costOf('vllm/gpt-4o-mini', { inputTokens: 1_000_000, outputTokens: 1_000_000 }).usd).toBe(3);
  });

  it('reads CADRE_MODEL_PRICES and rejects a bad one with a ValidationError naming the field', () => {
    expect(parsePriceJson('{"acme/x": {"input": 1, "output": 2}}')).toEqual({ 'acme/x': { input: 1, output: 2 } });
    expect(parsePriceJson(undefined)).toBeUndefined();
    expect(() => parsePriceJson('{nope')).toThrow(ValidationError);
    try {
      parsePriceJson('{"acme/x": {"input": -1, "output": 2}}');
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details).toEqual([expect.objectContaining({ path: 'acme/x.input' })]);
    }
  });
});
