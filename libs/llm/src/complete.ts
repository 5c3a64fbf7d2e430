import { LlmError } from './errors';
import type {
  LlmAssistantMessage, LlmProvider, LlmRequest, LlmStopReason, LlmStreamEvent, LlmStreamOptions, LlmThinkingBlock, LlmToolCall, LlmUsage,
} from './types';

/** A whole answer, collected from its stream. */
export interface LlmResult {
  readonly text: string;
  /** All thinking text, for display; the replayable blocks are in `message.thinking`. */
  readonly thinking: string;
  readonly toolCalls: readonly LlmToolCall[];
  readonly usage: LlmUsage;
  readonly stopReason: LlmStopReason;
  /** The answer as a message, ready to append to the conversation for the next turn. */
  readonly message: LlmAssistantMessage;
}

/** Collects a stream into one result; fails if the stream ends without `done`. */
export async function collect(events: AsyncIterable<LlmStreamEvent>): Promise<LlmResult> {
  let text = '';
  let thinking = '';
  const blocks: LlmThinkingBlock[] = [];
  const toolCalls: LlmToolCall[] = [];
  let usage: LlmUsage = { inputTokens: 0, outputTokens: 0 };
  let stopReason: LlmStopReason | undefined;
  for await (const event of events) {
    switch (event.type) {
      case 'text_delta':
        text += event.text;
        break;
      case 'thinking_delta':
        thinking += event.text;
        break;
      case 'thinking_block':
        blocks.push(event.block);
        break;
      case 'tool_call':
        toolCalls.push(event.call);
        break;
      case 'usage':
        usage = event.usage;
        break;
      case 'done':
        stopReason = event.stopReason;
        break;
    }
  }
  if (stopReason === undefined) throw new LlmError('protocol', 'llm', 'the model stream ended without finishing');
  const message: LlmAssistantMessage = {
    role: 'assistant',
    content: text,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    ...(blocks.length > 0 ? { thinking: blocks } : {}),
  };
  return { text, thinking, toolCalls, usage, stopReason, message };
}

/** Runs one call to the end and returns the whole answer. */
export function complete(provider: LlmProvider, request: LlmRequest, options?: LlmStreamOptions): Promise<LlmResult> {
  return collect(provider.stream(request, options));
}
