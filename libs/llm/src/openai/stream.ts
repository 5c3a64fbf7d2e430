import { z } from 'zod';
import { LlmError } from '../errors';
import { ToolCallAssembler } from '../tool-args';
import type { LlmStopReason, LlmStreamEvent, LlmUsage } from '../types';

const chunkSchema = z.object({
  choices: z
    .array(
      z.object({
        index: z.number().optional(),
        delta: z
          .object({
            content: z.string().nullish(),
            // vLLM, DeepSeek and OpenRouter stream reasoning under one of these names.
            reasoning_content: z.string().nullish(),
            reasoning: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().optional(),
                  id: z.string().nullish(),
                  function: z.object({ name: z.string().nullish(), arguments: z.unknown().optional() }).nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z
    .object({
      prompt_tokens: z.number().nullish(),
      completion_tokens: z.number().nullish(),
      prompt_tokens_details: z.object({ cached_tokens: z.number().nullish() }).nullish(),
    })
    .nullish(),
  error: z.object({ message: z.string().optional() }).loose().nullish(),
});

/** Maps OpenAI's `finish_reason` to Cadre's stop reasons. */
export function openAiStopReason(reason: string | undefined, madeToolCalls: boolean): LlmStopReason {
  switch (reason) {
    // Some compatible servers (older Ollama) say "stop" after calling tools.
    case 'stop':
      return madeToolCalls ? 'tool_use' : 'end_turn';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'length':
      return 'max_tokens';
    case 'content_filter':
      return 'content_filter';
    default:
      return madeToolCalls ? 'tool_use' : 'unknown';
  }
}

/** Turns the `data:` payloads of a chat-completions stream into stream events. */
export interface OpenAiStreamState {
  /** Events for one payload; `[DONE]` returns the closing events and sets `finished`. */
  onData(data: string): LlmStreamEvent[];
  /** Closing events when the body ended (a missing `[DONE]` is tolerated after a finish reason). */
  onEnd(): LlmStreamEvent[];
  readonly finished: boolean;
}

/** A fresh parser state for one call to `provider`. */
export function createOpenAiStreamState(provider: string): OpenAiStreamState {
  const tools = new ToolCallAssembler();
  let finishReason: string | undefined;
  let toolCallCount = 0;
  let usage: LlmUsage = { inputTokens: 0, outputTokens: 0 };
  let finished = false;

  const flushToolCalls = (): LlmStreamEvent[] => {
    const calls = tools.finish();
    toolCallCount += calls.length;
    tools.clear();
    return calls.map((call) => ({ type: 'tool_call', call }));
  };

  const close = (): LlmStreamEvent[] => {
    finished = true;
    return [...flushToolCalls(), { type: 'usage', usage }, { type: 'done', stopReason: openAiStopReason(finishReason, toolCallCount > 0) }];
  };

  const onChunk = (json: unknown): LlmStreamEvent[] => {
    const parsed = chunkSchema.safeParse(json);
    if (!parsed.success) throw new LlmError('protocol', provider, `${provider} sent a chunk of an unexpected shape: ${parsed.error.issues[0]?.message ?? ''}`);
    const chunk = parsed.data;
    if (chunk.error) throw new LlmError('unavailable', provider, `${provider} stream failed: ${chunk.error.message ?? 'unknown error'}`);
    const events: LlmStreamEvent[] = [];
    for (const choice of chunk.choices ?? []) {
      if ((choice.index ?? 0) !== 0) continue;
      const delta = choice.delta;
      const thinking = delta?.reasoning_content ?? delta?.reasoning;
      if (thinking) events.push({ type: 'thinking_delta', text: thinking });
      if (delta?.content) events.push({ type: 'text_delta', text: delta.content });
      delta?.tool_calls?.forEach((piece, position) => {
        const args = piece.function?.arguments;
        tools.append(piece.index ?? position, {
          ...(piece.id ? { id: piece.id } : {}),
          ...(piece.function?.name ? { name: piece.function.name } : {}),
          // The spec says a string; a few servers send the object itself.
          ...(args === undefined || args === null ? {} : { args: typeof args === 'string' ? args : JSON.stringify(args) }),
        });
      });
      if (choice.finish_reason) {
        finishReason = choice.finish_reason;
        events.push(...flushToolCalls());
      }
    }
    if (chunk.usage) {
      const cached = chunk.usage.prompt_tokens_details?.cached_tokens ?? undefined;
      usage = {
        inputTokens: chunk.usage.prompt_tokens ?? 0,
        outputTokens: chunk.usage.completion_tokens ?? 0,
        ...(cached ? { cacheReadTokens: cached } : {}),
      };
    }
    return events;
  };

  return {
    onData(data) {
      if (finished) return [];
      if (data.trim() === '[DONE]') return close();
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        throw new LlmError('protocol', provider, `${provider} sent an unreadable chunk: ${data.slice(0, 200)}`);
      }
      return onChunk(json);
    },
    onEnd() {
      if (finished) return [];
      if (finishReason === undefined) throw new LlmError('unavailable', provider, `${provider} stream ended before the answer was complete`);
      return close();
    },
    get finished() {
      return finished;
    },
  };
}
