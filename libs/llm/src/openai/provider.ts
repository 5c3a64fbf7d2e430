import { streamSse, type TransportOptions } from '../transport';
import type { LlmProvider, LlmRequest, LlmStreamEvent, LlmStreamOptions } from '../types';
import { openAiRequestBody, type MaxTokensParam } from './request';
import { createOpenAiStreamState } from './stream';

/** An OpenAI-compatible endpoint: OpenAI, Ollama (`…/v1`), vLLM, LiteLLM, OpenRouter… */
export interface OpenAiProviderOptions {
  readonly id: string;
  /** Up to and including the version segment, e.g. `https://api.openai.com/v1`. */
  readonly baseUrl: string;
  readonly apiKey?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly maxTokensParam?: MaxTokensParam;
  readonly transport: TransportOptions;
}

/** A provider speaking the chat-completions wire protocol, streamed. */
export function createOpenAiProvider(options: OpenAiProviderOptions): LlmProvider {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const headers: Record<string, string> = {
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    ...options.headers,
  };
  const maxTokensParam = options.maxTokensParam ?? 'max_tokens';

  async function* stream(request: LlmRequest, streamOptions: LlmStreamOptions = {}): AsyncGenerator<LlmStreamEvent> {
    const state = createOpenAiStreamState(options.id);
    const events = streamSse(
      { provider: options.id, url, headers, body: openAiRequestBody(request, maxTokensParam) },
      options.transport,
      streamOptions.signal,
      () => state.finished,
    );
    for await (const message of events) {
      yield* state.onData(message.data);
      if (state.finished) return;
    }
    yield* state.onEnd();
  }

  return { id: options.id, stream };
}
