/**
 * The provider-neutral shapes of a model call: what the executor sends (LlmRequest), what comes
 * back while the model answers (LlmStreamEvent) and the interface every provider implements.
 */

/** A tool the model may call: its parameters are a JSON Schema object. */
export interface LlmToolSpec {
  readonly name: string;
  readonly description?: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** A tool call made by the model, its arguments parsed from the streamed JSON. */
export interface LlmToolCall {
  readonly id: string;
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** Set when the model's arguments were not a JSON object; `args` is then `{}`. */
  readonly argsError?: string;
  /** The arguments as the model wrote them (kept when they failed to parse). */
  readonly rawArgs?: string;
}

/**
 * A block of model reasoning. Anthropic signs its thinking blocks and wants them back unchanged
 * before the tool results of the same turn, so they travel with the assistant message.
 */
export interface LlmThinkingBlock {
  readonly text: string;
  readonly signature?: string;
  /** An encrypted (redacted) block, to be sent back as is. */
  readonly redactedData?: string;
}

export interface LlmUserMessage {
  readonly role: 'user';
  readonly content: string;
}

export interface LlmAssistantMessage {
  readonly role: 'assistant';
  readonly content: string;
  readonly toolCalls?: readonly LlmToolCall[];
  readonly thinking?: readonly LlmThinkingBlock[];
}

/** The result of a tool call, answering the assistant message that made it. */
export interface LlmToolResultMessage {
  readonly role: 'tool';
  readonly toolCallId: string;
  readonly toolName?: string;
  readonly content: string;
  readonly isError?: boolean;
}

export type LlmMessage = LlmUserMessage | LlmAssistantMessage | LlmToolResultMessage;

/** One model call. `model` is `provider/model` for a registry, the bare model for a provider. */
export interface LlmRequest {
  readonly model: string;
  readonly system?: string;
  readonly messages: readonly LlmMessage[];
  readonly tools?: readonly LlmToolSpec[];
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** Tokens the model may spend thinking (Anthropic extended thinking); unset: no thinking. */
  readonly thinkingBudget?: number;
  readonly stopSequences?: readonly string[];
}

/**
 * Token counts of a call. `inputTokens` counts every prompt token, cached ones included;
 * `cacheReadTokens` and `cacheWriteTokens` are the parts of it read from or written to a cache.
 */
export interface LlmUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens?: number;
  readonly cacheWriteTokens?: number;
}

/** Why the model stopped, the same words for every provider. */
export type LlmStopReason =
  | 'end_turn'
  | 'tool_use'
  | 'max_tokens'
  | 'stop_sequence'
  | 'content_filter'
  | 'refusal'
  | 'pause_turn'
  | 'unknown';

/** What a stream yields, in order: deltas and tool calls, then `usage`, then `done`. */
export type LlmStreamEvent =
  | { readonly type: 'text_delta'; readonly text: string }
  | { readonly type: 'thinking_delta'; readonly text: string }
  /** A finished thinking block (with its signature) to keep in the assistant message. */
  | { readonly type: 'thinking_block'; readonly block: LlmThinkingBlock }
  | { readonly type: 'tool_call'; readonly call: LlmToolCall }
  | { readonly type: 'usage'; readonly usage: LlmUsage }
  | { readonly type: 'done'; readonly stopReason: LlmStopReason };

/** Options of one call. Aborting `signal` closes the HTTP request and ends the stream with an LlmError of reason `aborted` (code `cancelled`). */
export interface LlmStreamOptions {
  readonly signal?: AbortSignal;
}

/** A model backend. `stream` does nothing until iterated. */
export interface LlmProvider {
  readonly id: string;
  stream(request: LlmRequest, options?: LlmStreamOptions): AsyncIterable<LlmStreamEvent>;
}

/** The record of one finished (or failed) call: the data of the `llm_call` event, plus a few extras. */
export interface LlmCallRecord {
  readonly provider: string;
  readonly model: string;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cache_read_tokens?: number;
  readonly cache_write_tokens?: number;
  readonly cost_usd: number;
  /** False when the model has no price in the table (cost_usd is then 0). */
  readonly cost_known: boolean;
  readonly duration_ms: number;
  /** A stop reason, or `error` / `aborted` when the call did not finish. */
  readonly stop_reason: LlmStopReason | 'error' | 'aborted';
  readonly tool_call_count: number;
  readonly error?: { readonly code: string; readonly message: string };
}

/** Minimal logger (pino's shape) so the library needs no logging dependency. */
export interface LlmLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}
