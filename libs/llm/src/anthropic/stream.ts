import { LlmError, type LlmErrorKind } from '../errors';
import { toToolCall } from '../tool-args';
import type { LlmStopReason, LlmStreamEvent, LlmUsage } from '../types';

type Block =
  | { readonly type: 'text' }
  | { readonly type: 'tool_use'; readonly id: string; readonly name: string; json: string }
  | { readonly type: 'thinking'; text: string; signature?: string }
  | { readonly type: 'redacted_thinking'; readonly data: string }
  | { readonly type: 'other' };

// The wire is loosely typed here on purpose: unknown events and fields are skipped so that a
// newer API version does not break older Cadre releases.
type Json = Record<string, unknown>;

const asObject = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const asNumber = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** Maps Anthropic's stop_reason to Cadre's stop reasons. */
export function anthropicStopReason(reason: string | undefined): LlmStopReason {
  switch (reason) {
    case 'end_turn':
    case 'tool_use':
    case 'max_tokens':
    case 'stop_sequence':
    case 'pause_turn':
    case 'refusal':
      return reason;
    default:
      return 'unknown';
  }
}

function errorKind(type: string | undefined): LlmErrorKind {
  switch (type) {
    case 'authentication_error':
    case 'permission_error':
      return 'auth';
    case 'rate_limit_error':
      return 'rate_limited';
    case 'invalid_request_error':
    case 'not_found_error':
    case 'request_too_large':
      return 'bad_request';
    case 'timeout_error':
      return 'timeout';
    default:
      return 'unavailable';
  }
}

/** Turns the events of a Messages stream into stream events. */
export interface AnthropicStreamState {
  onEvent(data: unknown): LlmStreamEvent[];
  /** Fails when the body ended before `message_stop`. */
  onEnd(): void;
  readonly finished: boolean;
}

/** A fresh parser state for one call to `provider`. */
export function createAnthropicStreamState(provider: string): AnthropicStreamState {
  const blocks = new Map<number, Block>();
  let plainInput = 0;
  let outputTokens = 0;
  let cacheRead = 0;
  let cacheWrite = 0;
  let stopReason: string | undefined;
  let finished = false;

  const readUsage = (raw: unknown): void => {
    const usage = asObject(raw);
    plainInput = asNumber(usage.input_tokens) ?? plainInput;
    outputTokens = asNumber(usage.output_tokens) ?? outputTokens;
    cacheRead = asNumber(usage.cache_read_input_tokens) ?? cacheRead;
    cacheWrite = asNumber(usage.cache_creation_input_tokens) ?? cacheWrite;
  };

  const usage = (): LlmUsage => ({
    // Anthropic counts cached prompt tokens apart; Cadre's input count includes them.
    inputTokens: plainInput + cacheRead + cacheWrite,
    outputTokens,
    ...(cacheRead ? { cacheReadTokens: cacheRead } : {}),
    ...(cacheWrite ? { cacheWriteTokens: cacheWrite } : {}),
  });

  const startBlock = (index: number, raw: unknown): LlmStreamEvent[] => {
    const block = asObject(raw);
    switch (block.type) {
      case 'text': {
        blocks.set(index, { type: 'text' });
        const text = asString(block.text);
        return text ? [{ type: 'text_delta', text }] : [];
      }
      case 'tool_use':
        blocks.set(index, { type: 'tool_use', id: asString(block.id) ?? `call_${index}`, name: asString(block.name) ?? '', json: '' });
        return [];
      case 'thinking':
        blocks.set(index, { type: 'thinking', text: asString(block.thinking) ?? '' });
        return [];
      case 'redacted_thinking':
        blocks.set(index, { type: 'redacted_thinking', data: asString(block.data) ?? '' });
        return [];
      default:
        blocks.set(index, { type: 'other' });
        return [];
    }
  };

  const delta = (index: number, raw: unknown): LlmStreamEvent[] => {
    const piece = asObject(raw);
    const block = blocks.get(index);
    if (piece.type === 'text_delta' && asString(piece.text)) return [{ type: 'text_delta', text: asString(piece.text) ?? '' }];
    if (piece.type === 'input_json_delta' && block?.type === 'tool_use') block.json += asString(piece.partial_json) ?? '';
    if (block?.type === 'thinking') {
      if (piece.type === 'signature_delta') block.signature = (block.signature ?? '') + (asString(piece.signature) ?? '');
      if (piece.type === 'thinking_delta' && asString(piece.thinking)) {
        block.text += asString(piece.thinking) ?? '';
        return [{ type: 'thinking_delta', text: asString(piece.thinking) ?? '' }];
      }
    }
    return [];
  };

  const stopBlock = (index: number): LlmStreamEvent[] => {
    const block = blocks.get(index);
    blocks.delete(index);
    switch (block?.type) {
      case 'tool_use':
        return [{ type: 'tool_call', call: toToolCall(block.id, block.name, block.json) }];
      case 'thinking':
        return [{ type: 'thinking_block', block: { text: block.text, ...(block.signature ? { signature: block.signature } : {}) } }];
      case 'redacted_thinking':
        return [{ type: 'thinking_block', block: { text: '', redactedData: block.data } }];
      default:
        return [];
    }
  };

  return {
    onEvent(data) {
      if (finished) return [];
      const event = asObject(data);
      const index = asNumber(event.index) ?? 0;
      switch (event.type) {
        case 'message_start':
          readUsage(asObject(event.message).usage);
          return [];
        case 'content_block_start':
          return startBlock(index, event.content_block);
        case 'content_block_delta':
          return delta(index, event.delta);
        case 'content_block_stop':
          return stopBlock(index);
        case 'message_delta':
          stopReason = asString(asObject(event.delta).stop_reason) ?? stopReason;
          readUsage(event.usage);
          return [];
        case 'message_stop':
          finished = true;
          return [{ type: 'usage', usage: usage() }, { type: 'done', stopReason: anthropicStopReason(stopReason) }];
        case 'error': {
          const error = asObject(event.error);
          const type = asString(error.type);
          const message = asString(error.message) ?? 'unknown error';
          throw new LlmError(errorKind(type), provider, `${provider} stream failed: ${type ? `${type}: ` : ''}${message}`);
        }
        default:
          return [];
      }
    },
    onEnd() {
      if (!finished) throw new LlmError('unavailable', provider, `${provider} stream ended before the answer was complete`);
    },
    get finished() {
      return finished;
    },
  };
}
