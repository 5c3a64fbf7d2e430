import type { LlmMessage, LlmRequest } from '../types';

/** Which field carries the output limit: OpenAI's reasoning models accept only the newer one. */
export type MaxTokensParam = 'max_tokens' | 'max_completion_tokens';

type OpenAiMessage =
  | { readonly role: 'system' | 'user'; readonly content: string }
  | {
      readonly role: 'assistant';
      readonly content: string | null;
      readonly tool_calls?: ReadonlyArray<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
    }
  | { readonly role: 'tool'; readonly tool_call_id: string; readonly content: string; readonly name?: string };

function toOpenAiMessage(message: LlmMessage): OpenAiMessage {
  switch (message.role) {
    case 'user':
      return { role: 'user', content: message.content };
    case 'assistant': {
      const calls = message.toolCalls ?? [];
      if (calls.length === 0) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        // OpenAI wants null, not "", beside tool calls.
        content: message.content === '' ? null : message.content,
        tool_calls: calls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.rawArgs ?? JSON.stringify(call.args) },
        })),
      };
    }
    case 'tool':
      return {
        role: 'tool',
        tool_call_id: message.toolCallId,
        // The wire has no error flag for tool results: say it in the text.
        content: message.isError ? `Error: ${message.content}` : message.content,
        ...(message.toolName ? { name: message.toolName } : {}),
      };
  }
}

/** The JSON body of a streamed `POST /chat/completions` for `model` (without provider prefix). */
export function openAiRequestBody(request: LlmRequest, maxTokensParam: MaxTokensParam): Record<string, unknown> {
  const messages: OpenAiMessage[] = [];
  if (request.system) messages.push({ role: 'system', content: request.system });
  for (const message of request.messages) messages.push(toOpenAiMessage(message));
  const tools = request.tools ?? [];
  return {
    model: request.model,
    messages,
    ...(tools.length > 0
      ? {
          tools: tools.map((tool) => ({
            type: 'function',
            function: { name: tool.name, ...(tool.description ? { description: tool.description } : {}), parameters: tool.parameters },
          })),
        }
      : {}),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.maxTokens === undefined ? {} : { [maxTokensParam]: request.maxTokens }),
    ...(request.stopSequences?.length ? { stop: request.stopSequences } : {}),
    stream: true,
    stream_options: { include_usage: true },
  };
}
