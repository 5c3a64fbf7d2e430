import { parseOrThrow, ValidationError } from '@cadre/proto';
import { z } from 'zod';
import type { LlmUsage } from './types';

/** USD per million tokens. Cache prices default to the input price when not given. */
export const modelPriceSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cache_read: z.number().nonnegative().optional(),
  cache_write: z.number().nonnegative().optional(),
});

export type ModelPrice = Readonly<z.infer<typeof modelPriceSchema>>;

/** Prices by model name: `provider/model`, a bare model name, or `provider/*`. */
export const priceMapSchema = z.record(z.string().min(1), modelPriceSchema);

export type PriceMap = Readonly<Record<string, ModelPrice>>;

/**
 * List prices at the time of writing (USD per million tokens); override them with settings or
 * `CADRE_MODEL_PRICES` when they change. Bare names apply to any provider serving that model
 * (a LiteLLM or vLLM in front of OpenAI), dated variants (`…-20250514`) inherit.
 */
export const DEFAULT_PRICES: PriceMap = {
  'gpt-4o': { input: 2.5, output: 10, cache_read: 1.25 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cache_read: 0.075 },
  'gpt-4.1': { input: 2, output: 8, cache_read: 0.5 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6, cache_read: 0.1 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4, cache_read: 0.025 },
  'o4-mini': { input: 1.1, output: 4.4, cache_read: 0.275 },
  'claude-opus-4': { input: 15, output: 75, cache_read: 1.5, cache_write: 18.75 },
  'claude-opus-4-1': { input: 15, output: 75, cache_read: 1.5, cache_write: 18.75 },
  'claude-sonnet-4': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'claude-sonnet-4-5': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'claude-3-7-sonnet': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cache_read: 0.08, cache_write: 1 },
  'claude-haiku-4-5': { input: 1, output: 5, cache_read: 0.1, cache_write: 1.25 },
  // Local and offline models cost nothing, and that is known rather than unknown.
  'ollama/*': { input: 0, output: 0 },
  'dry-run/*': { input: 0, output: 0 },
};

/** The price of a call: `known` is false when no table entry matched (usd is then 0). */
export interface Cost {
  readonly usd: number;
  readonly known: boolean;
}

/** A price table with lookups by model name. */
export interface PriceTable {
  readonly prices: PriceMap;
  lookup(model: string): ModelPrice | undefined;
  costOf(model: string, usage: LlmUsage): Cost;
}

// `-20250514`, `-2024-08-06`, `-latest`: the same model, a pinned snapshot.
const SNAPSHOT_SUFFIX = /-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$/;

function candidates(model: string): string[] {
  const slash = model.indexOf('/');
  const bare = slash < 0 ? model : model.slice(slash + 1);
  const names = slash < 0 ? [model] : [model, bare];
  // OpenRouter names carry the vendor (`openrouter/openai/gpt-4o`): try the last segment too.
  const last = bare.slice(bare.lastIndexOf('/') + 1);
  if (last !== bare) names.push(last);
  return names.flatMap((name) => (SNAPSHOT_SUFFIX.test(name) ? [name, name.replace(SNAPSHOT_SUFFIX, '')] : [name]));
}

/** Builds a table from the defaults overlaid with each override in turn (later wins). */
export function createPriceTable(...overrides: ReadonlyArray<PriceMap | undefined>): PriceTable {
  const prices: Record<string, ModelPrice> = { ...DEFAULT_PRICES };
  for (const override of overrides) Object.assign(prices, override ?? {});
  const lookup = (model: string): ModelPrice | undefined => {
    for (const name of candidates(model)) {
      const price = prices[name];
      if (price) return price;
    }
    const slash = model.indexOf('/');
    return slash < 0 ? undefined : prices[`${model.slice(0, slash)}/*`];
  };
  return Object.freeze({
    prices: Object.freeze(prices),
    lookup,
    costOf: (model: string, usage: LlmUsage) => costWith(lookup(model), usage),
  });
}

/** The cost of `usage` at `price`; cached tokens are priced apart from the other input. */
export function costWith(price: ModelPrice | undefined, usage: LlmUsage): Cost {
  if (!price) return { usd: 0, known: false };
  const cacheRead = usage.cacheReadTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const plainInput = Math.max(0, usage.inputTokens - cacheRead - cacheWrite);
  const micros =
    plainInput * price.input +
    cacheRead * (price.cache_read ?? price.input) +
    cacheWrite * (price.cache_write ?? price.input) +
    usage.outputTokens * price.output;
  // Rounded to 1e-9 USD so sums of many calls don't drift into float noise.
  return { usd: Math.round((micros / 1_000_000) * 1e9) / 1e9, known: true };
}

/** The cost of a call by model name, with the default table unless another is given. */
export function costOf(model: string, usage: LlmUsage, table: PriceTable = createPriceTable()): Cost {
  return table.costOf(model, usage);
}

/** Parses `CADRE_MODEL_PRICES` (a JSON object of model → price); a bad value is a ValidationError. */
export function parsePriceJson(json: string | undefined, what = 'CADRE_MODEL_PRICES'): PriceMap | undefined {
  if (json === undefined || json.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new ValidationError(`${what} is not valid JSON`, [{ path: what, message: (error as Error).message }]);
  }
  return parseOrThrow(priceMapSchema, value, what);
}
