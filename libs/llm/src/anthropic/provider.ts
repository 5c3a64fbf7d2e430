import { parseEventJson, streamSse, type TransportOptions } from '../transport';
import type { LlmProvider, LlmRequest, LlmStreamEvent, LlmStreamOptions } from '../types';
import { anthropicRequestBody } from './request';
import { createAnthropicStreamState } from './stream';

export const ANTHROPIC_VERSION = '2023-06-01';

/** An Anthropic Messages endpoint (the API itself or a compatible proxy). */
export interface AnthropicProviderOptions {
  readonly id: string;
  /** Without the version segment, e.g. `https://api.anthropic.com`. */
  readonly baseUrl: string;
  readonly apiKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly version?: string;
  readonly transport: TransportOptions;
}

/** A provider speaking the Messages wire protocol, streamed, with tool use and thinking. */
export function createAnthropicProvider(options: AnthropicProviderOptions): LlmProvider {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/messages`;
  const headers: Record<string, string> = {
    ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}),
    'anthropic-version': options.version ?? ANTHROPIC_VERSION,
    ...options.headers,
  };

  async function* stream(request: LlmRequest, streamOptions: LlmStreamOptions = {}): AsyncGenerator<LlmStreamEvent> {
    const state = createAnthropicStreamState(options.id);
    const events = streamSse({ provider: options.id, url, headers, body: anthropicRequestBody(request) }, options.transport, streamOptions.signal, () => state.finished);
    for await (const message of events) {
      yield* state.onEvent(parseEventJson(options.id, message.data));
      if (state.finished) return;
    }
    state.onEnd();
  }

  return { id: options.id, stream };
}
