import type { LlmMessage, LlmRequest } from '../types';

type Block = Readonly<Record<string, unknown>>;

interface AnthropicMessage {
  readonly role: 'user' | 'assistant';
  content: Block[];
}

/** Anthropic requires max_tokens; this is the limit when the request sets none. */
export const DEFAULT_MAX_TOKENS = 4096;

function blocksOf(message: LlmMessage): Block[] {
  switch (message.role) {
    case 'user':
      // Empty text blocks are rejected by the API.
      return message.content === '' ? [] : [{ type: 'text', text: message.content }];
    case 'assistant': {
      const blocks: Block[] = [];
      for (const block of message.thinking ?? []) {
        if (block.redactedData !== undefined) blocks.push({ type: 'redacted_thinking', data: block.redactedData });
        // Unsigned thinking (from another provider) would be refused: leave it out.
        else if (block.signature !== undefined) blocks.push({ type: 'thinking', thinking: block.text, signature: block.signature });
      }
      if (message.content !== '') blocks.push({ type: 'text', text: message.content });
      for (const call of message.toolCalls ?? []) blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.args });
      return blocks;
    }
    case 'tool':
      return [{ type: 'tool_result', tool_use_id: message.toolCallId, content: message.content, ...(message.isError ? { is_error: true } : {}) }];
  }
}

/**
 * Messages in Anthropic's form: roles alternate, so consecutive user-side messages (tool
 * results and user text) merge into one, tool results first as the API demands.
 */
export function anthropicMessages(messages: readonly LlmMessage[]): AnthropicMessage[] {
  const out: AnthropicMessage[] = [];
  for (const message of messages) {
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = blocksOf(message);
    if (blocks.length === 0) continue;
    const last = out.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  }
  for (const message of out) {
    if (message.role !== 'user') continue;
    const results = message.content.filter((block) => block.type === 'tool_result');
    message.content = [...results, ...message.content.filter((block) => block.type !== 'tool_result')];
  }
  return out;
}

/** The JSON body of a streamed `POST /v1/messages` for `model` (without provider prefix). */
export function anthropicRequestBody(request: LlmRequest): Record<string, unknown> {
  const budget = request.thinkingBudget;
  const tools = request.tools ?? [];
  return {
    model: request.model,
    // The thinking budget counts against max_tokens, so leave room for the answer.
    max_tokens: request.maxTokens ?? (budget ? budget + DEFAULT_MAX_TOKENS : DEFAULT_MAX_TOKENS),
    ...(request.system ? { system: request.system } : {}),
    messages: anthropicMessages(request.messages),
    ...(tools.length > 0
      ? { tools: tools.map((tool) => ({ name: tool.name, ...(tool.description ? { description: tool.description } : {}), input_schema: tool.parameters })) }
      : {}),
    // Extended thinking refuses a temperature other than the default.
    ...(request.temperature === undefined || budget ? {} : { temperature: request.temperature }),
    ...(budget ? { thinking: { type: 'enabled', budget_tokens: budget } } : {}),
    ...(request.stopSequences?.length ? { stop_sequences: request.stopSequences } : {}),
    stream: true,
  };
}
