import type { ScriptedResponse, SseFrame, StreamEnding } from './scripted-server';

/** Splits text into pieces of a few words, as a model would stream it. */
export function splitText(text: string, wordsPerPiece = 2): string[] {
  return text.match(new RegExp(`(?:\\S+\\s*){1,${wordsPerPiece}}|\\s+`, 'g')) ?? [];
}

const pieces = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? splitText(value) : value;

/** A scripted chat-completions answer. Usage is given as the wire reports it. */
export interface OpenAiScript {
  /** A string is split into pieces; an array is sent piece by piece as given. */
  readonly text?: string | readonly string[];
  /** Sent as `delta.reasoning_content` (vLLM, DeepSeek). */
  readonly reasoning?: readonly string[];
  /** Arguments as a string, or as the fragments to stream. */
  readonly toolCalls?: ReadonlyArray<{ readonly id: string; readonly name: string; readonly args: string | readonly string[] }>;
  /** Default: `tool_calls` when tools are called, else `stop`. */
  readonly finishReason?: string;
  readonly usage?: { readonly prompt_tokens: number; readonly completion_tokens: number; readonly cached_tokens?: number };
  readonly model?: string;
  readonly frameDelayMs?: number;
  /** `hang` / `destroy` send the content only (no finish, usage or [DONE]) and then keep the stream open / cut it. */
  readonly then?: StreamEnding;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A streamed chat-completions response speaking OpenAI's wire protocol. */
export function openAiStream(script: OpenAiScript): ScriptedResponse {
  const model = script.model ?? 'scripted-model';
  const chunk = (choices: unknown[], extra: object = {}): SseFrame => ({
    data: { id: 'chatcmpl-scripted', object: 'chat.completion.chunk', created: 0, model, choices, ...extra },
    ...(script.frameDelayMs ? { delayMs: script.frameDelayMs } : {}),
  });
  const delta = (value: object, finish: string | null = null): SseFrame => chunk([{ index: 0, delta: value, finish_reason: finish }]);

  const frames: SseFrame[] = [delta({ role: 'assistant', content: '' })];
  for (const piece of script.reasoning ?? []) frames.push(delta({ reasoning_content: piece }));
  for (const piece of pieces(script.text)) frames.push(delta({ content: piece }));
  (script.toolCalls ?? []).forEach((call, index) => {
    const fragments = typeof call.args === 'string' ? [call.args] : call.args;
    frames.push(delta({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
    for (const fragment of fragments) frames.push(delta({ tool_calls: [{ index, function: { arguments: fragment } }] }));
  });
  const ending = script.then ?? 'end';
  if (ending === 'end') {
    frames.push(delta({}, script.finishReason ?? (script.toolCalls?.length ? 'tool_calls' : 'stop')));
    if (script.usage) {
      const { prompt_tokens, completion_tokens, cached_tokens } = script.usage;
      frames.push(chunk([], {
        usage: {
          prompt_tokens,
          completion_tokens,
          total_tokens: prompt_tokens + completion_tokens,
          ...(cached_tokens === undefined ? {} : { prompt_tokens_details: { cached_tokens } }),
        },
      }));
    }
    frames.push({ data: '[DONE]' });
  }
  return { kind: 'sse', frames, then: ending, ...(script.headers ? { headers: script.headers } : {}) };
}

/** An OpenAI-style error answer (`{"error": {"message", "type"}}`), e.g. 429 with `Retry-After`. */
export function openAiError(status: number, message: string, headers?: Readonly<Record<string, string>>): ScriptedResponse {
  const type = status === 401 ? 'invalid_request_error' : status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { kind: 'json', status, body: { error: { message, type, code: null } }, ...(headers ? { headers } : {}) };
}
