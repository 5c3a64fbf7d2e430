import { anthropicMessages, anthropicRequestBody } from './anthropic/request';
import { createAnthropicStreamState } from './anthropic/stream';
import { LlmError } from './errors';
import { openAiRequestBody } from './openai/request';
import { createOpenAiStreamState } from './openai/stream';
import type { LlmMessage, LlmStreamEvent } from './types';

const conversation: LlmMessage[] = [
  { role: 'user', content: 'read a file' },
  { role: 'assistant', content: '', toolCalls: [{ id: 't1', name: 'read', args: { path: 'a' } }], thinking: [{ text: 'hm', signature: 'sig' }] },
  { role: 'tool', toolCallId: 't1', content: 'no such file', isError: true },
  { role: 'user', content: 'try b' },
];

describe('OpenAI wire format', () => {
  it('sends tool calls and tool results in chat-completions form', () => {
    const body = openAiRequestBody({ model: 'gpt-4o', system: 'be brief', messages: conversation, maxTokens: 10 }, 'max_completion_tokens');
    expect(body.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'read a file' },
      { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'read', arguments: '{"path":"a"}' } }] },
      { role: 'tool', tool_call_id: 't1', content: 'Error: no such file' },
      { role: 'user', content: 'try b' },
    ]);
    expect(body).toMatchObject({ max_completion_tokens: 10, stream: true, stream_options: { include_usage: true } });
  });

  it('treats "stop" after tool calls as tool use and tolerates a missing [DONE] after a finish', () => {
    const state = createOpenAiStreamState('ollama');
    const events: LlmStreamEvent[] = [];
    events.push(...state.onData(JSON.stringify({ choices: [{ delta: { tool_calls: [{ function: { name: 'ls', arguments: { dir: '.' } } }] } }] })));
    events.push(...state.onData(JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })));
    events.push(...state.onEnd());
    expect(events).toEqual([
      { type: 'tool_call', call: { id: 'call_0', name: 'ls', args: { dir: '.' } } },
      { type: 'usage', usage: { inputTokens: 0, outputTokens: 0 } },
      { type: 'done', stopReason: 'tool_use' },
    ]);
  });

  it('fails a stream that ends before any finish', () => {
    const state = createOpenAiStreamState('openai');
    state.onData(JSON.stringify({ choices: [{ delta: { content: 'hel' } }] }));
    expect(() => state.onEnd()).toThrow(LlmError);
  });

  it('surfaces an error chunk sent in the middle of the stream', () => {
    const state = createOpenAiStreamState('vllm');
    expect(() => state.onData('{"error":{"message":"engine died"}}')).toThrow('vllm stream failed: engine died');
  });
});

describe('Anthropic wire format', () => {
  it('merges tool results and user text into one user turn, tool results first, and replays signed thinking', () => {
    expect(anthropicMessages(conversation)).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'read a file' }] },
      {
        role: 'assistant',
        content: [{ type: 'thinking', thinking: 'hm', signature: 'sig' }, { type: 'tool_use', id: 't1', name: 'read', input: { path: 'a' } }],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'no such file', is_error: true }, { type: 'text', text: 'try b' }] },
    ]);
  });

  it('enables thinking with room for the answer and drops the temperature it forbids', () => {
    const body = anthropicRequestBody({ model: 'claude-sonnet-4', messages: [{ role: 'user', content: 'hi' }], thinkingBudget: 2048, temperature: 0.2 });
    expect(body).toMatchObject({ max_tokens: 2048 + 4096, thinking: { type: 'enabled', budget_tokens: 2048 }, stream: true });
    expect(body).not.toHaveProperty('temperature');
  });

  it('counts cached prompt tokens as input and skips unknown events', () => {
    const state = createAnthropicStreamState('anthropic');
    state.onEvent({ type: 'message_start', message: { usage: { input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 5, output_tokens: 1 } } });
    expect(state.onEvent({ type: 'some_future_event' })).toEqual([]);
    state.onEvent({ type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 7 } });
    expect(state.onEvent({ type: 'message_stop' })).toEqual([
      { type: 'usage', usage: { inputTokens: 115, outputTokens: 7, cacheReadTokens: 100, cacheWriteTokens: 5 } },
      { type: 'done', stopReason: 'max_tokens' },
    ]);
  });
});
