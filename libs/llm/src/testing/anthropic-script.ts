import { splitText } from './openai-script';
import type { ScriptedResponse, SseFrame, StreamEnding } from './scripted-server';

const pieces = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? splitText(value) : value;

/** A scripted Messages answer. Usage is given as the wire reports it. */
export interface AnthropicScript {
  readonly thinking?: string | readonly string[];
  readonly signature?: string;
  readonly text?: string | readonly string[];
  /** `input` as JSON text, or the `partial_json` fragments to stream. */
  readonly toolUses?: ReadonlyArray<{ readonly id: string; readonly name: string; readonly input: string | readonly string[] }>;
  /** Default: `tool_use` when tools are used, else `end_turn`. */
  readonly stopReason?: string;
  readonly usage?: {
    readonly input_tokens: number;
    readonly output_tokens: number;
    readonly cache_read_input_tokens?: number;
    readonly cache_creation_input_tokens?: number;
  };
  /** An `error` event sent after the content, instead of the end of the message. */
  readonly error?: { readonly type: string; readonly message: string };
  readonly model?: string;
  readonly frameDelayMs?: number;
  /** `hang` / `destroy` send the content only and then keep the stream open / cut it. */
  readonly then?: StreamEnding;
}

/** A streamed Messages response speaking Anthropic's wire protocol (named events). */
export function anthropicStream(script: AnthropicScript): ScriptedResponse {
  const frames: SseFrame[] = [];
  const send = (data: { readonly type: string } & Record<string, unknown>): void =>
    void frames.push({ event: data.type, data, ...(script.frameDelayMs ? { delayMs: script.frameDelayMs } : {}) });
  const usage = script.usage ?? { input_tokens: 0, output_tokens: 0 };

  send({
    type: 'message_start',
    message: {
      id: 'msg_scripted', type: 'message', role: 'assistant', model: script.model ?? 'scripted-model', content: [],
      stop_reason: null, stop_sequence: null,
      usage: { ...usage, output_tokens: Math.min(1, usage.output_tokens) },
    },
  });
  send({ type: 'ping' });
  let index = 0;
  if (script.thinking !== undefined) {
    send({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '' } });
    for (const piece of pieces(script.thinking)) send({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } });
    send({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: script.signature ?? 'scripted-signature' } });
    send({ type: 'content_block_stop', index });
    index += 1;
  }
  if (script.text !== undefined) {
    send({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    for (const piece of pieces(script.text)) send({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
    send({ type: 'content_block_stop', index });
    index += 1;
  }
  for (const tool of script.toolUses ?? []) {
    send({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: tool.id, name: tool.name, input: {} } });
    for (const fragment of typeof tool.input === 'string' ? [tool.input] : tool.input) {
      send({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: fragment } });
    }
    send({ type: 'content_block_stop', index });
    index += 1;
  }
  const ending = script.then ?? 'end';
  if (script.error) {
    send({ type: 'error', error: script.error });
  } else if (ending === 'end') {
    send({
      type: 'message_delta',
      delta: { stop_reason: script.stopReason ?? (script.toolUses?.length ? 'tool_use' : 'end_turn'), stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    });
    send({ type: 'message_stop' });
  }
  return { kind: 'sse', frames, then: ending };
}

/** An Anthropic-style error answer (`{"type":"error","error":{"type","message"}}`). */
export function anthropicError(status: number, type: string, message: string, headers?: Readonly<Record<string, string>>): ScriptedResponse {
  return { kind: 'json', status, body: { type: 'error', error: { type, message } }, ...(headers ? { headers } : {}) };
}
