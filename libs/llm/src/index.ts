/**
 * @cadre/llm — model providers behind one streaming API: OpenAI-compatible chat completions,
 * Anthropic Messages and the offline `dry-run`, chosen by `provider/model` names through a
 * registry built from env or settings; retries, timeouts, cancellation, costs and call records.
 */
export type {
  LlmAssistantMessage, LlmCallRecord, LlmLogger, LlmMessage, LlmProvider, LlmRequest, LlmStopReason, LlmStreamEvent,
  LlmStreamOptions, LlmThinkingBlock, LlmToolCall, LlmToolResultMessage, LlmToolSpec, LlmUsage, LlmUserMessage,
} from './types';
export { LlmError, isAbortError, type LlmErrorKind } from './errors';
export { collect, complete, type LlmResult } from './complete';
export { recordCall, type LlmCallHook } from './call-record';
export {
  createLlmRegistry, llmRegistryFromEnv, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_TIMEOUT_MS,
  type LlmCallOptions, type LlmRegistry, type LlmRegistryOptions, type ResolvedModel,
} from './registry';
export { KNOWN_PROVIDERS, llmSettingsSchema, mergeLlmSettings, providerSettingsSchema, type LlmSettings, type ProviderSettings } from './settings';
export { llmConfigShape, llmSettingsFromEnv } from './env';
export {
  costOf, costWith, createPriceTable, DEFAULT_PRICES, modelPriceSchema, parsePriceJson, priceMapSchema,
  type Cost, type ModelPrice, type PriceMap, type PriceTable,
} from './prices';
export { llmRequestSchema, parseModelName, validateRequest, type ModelName } from './request';
export { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy } from './retry';
export type { TransportOptions } from './transport';
export { createOpenAiProvider, type OpenAiProviderOptions } from './openai/provider';
export type { MaxTokensParam } from './openai/request';
export { ANTHROPIC_VERSION, createAnthropicProvider, type AnthropicProviderOptions } from './anthropic/provider';
export { createDryRunProvider, approxTokens, type DryRunProviderOptions } from './dry-run/provider';
export { CALL_TOOL_DIRECTIVE, COMPLETE_TOOL, planDryRunTurn, type DryRunTurn } from './dry-run/script';
export * as testing from './testing';
