import { toToolCall } from '../tool-args';
import type { LlmRequest, LlmStopReason, LlmToolCall, LlmToolResultMessage } from '../types';
import { sampleFromSchema } from './sample';

/** The directive a user message uses to make the dry run call a tool: `DRY_RUN_CALL_TOOL <name> <json>`. */
export const CALL_TOOL_DIRECTIVE = 'DRY_RUN_CALL_TOOL';

/** The tool the dry run calls, when offered, to finish a step. */
export const COMPLETE_TOOL = 'complete';

/** What a dry-run turn answers; a pure function of the request. */
export interface DryRunTurn {
  readonly text: string;
  readonly toolCalls: readonly LlmToolCall[];
  readonly stopReason: LlmStopReason;
}

const DIRECTIVE_LINE = new RegExp(`${CALL_TOOL_DIRECTIVE}\\s+([a-zA-Z0-9_-]+)[ \\t]*(.*)$`, 'gm');

function excerpt(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function lastUserText(request: LlmRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i];
    if (message?.role === 'user') return message.content;
  }
  return '';
}

function summary(request: LlmRequest, model: string): string {
  const count = (role: string): number => request.messages.filter((m) => m.role === role).length;
  const tools = (request.tools ?? []).map((tool) => tool.name);
  const lines = [
    `[dry-run] Offline answer from the dry-run provider (model "${model}"): no model was called.`,
    `Request: system prompt of ${request.system?.length ?? 0} characters; ${request.messages.length} messages ` +
      `(${count('user')} user, ${count('assistant')} assistant, ${count('tool')} tool results); ` +
      `tools: ${tools.length > 0 ? tools.join(', ') : 'none'}.`,
  ];
  const user = lastUserText(request);
  if (user) lines.push(`Last user message: "${excerpt(user, 200)}"`);
  const results = request.messages
    .slice(request.messages.findLastIndex((m) => m.role !== 'tool') + 1)
    .filter((m): m is LlmToolResultMessage => m.role === 'tool');
  if (results.length > 0) {
    lines.push(`Tool results: ${results.map((m) => `${m.toolName ?? m.toolCallId} ${m.isError ? 'failed' : 'ok'}`).join(', ')}.`);
  }
  return lines.join('\n');
}

/**
 * Plans a dry-run turn. A last user message with directives calls those tools; otherwise the
 * answer summarises the request and, when a `complete` tool is offered, calls it with outputs
 * sampled from its schema so that a pipeline step finishes.
 */
export function planDryRunTurn(request: LlmRequest, model: string): DryRunTurn {
  const turn = request.messages.filter((m) => m.role === 'assistant').length;
  const last = request.messages.at(-1);
  // Directives apply to the user's message only, not again after their tool results came back.
  const directives = last?.role === 'user' ? [...last.content.matchAll(DIRECTIVE_LINE)] : [];
  if (directives.length > 0) {
    const calls = directives.map((match, i) => toToolCall(`dryrun_${turn}_${i}`, match[1] ?? '', (match[2] ?? '').trim()));
    return {
      text: `[dry-run] Calling ${calls.map((call) => call.name).join(', ')} as the input asked.`,
      toolCalls: calls,
      stopReason: 'tool_use',
    };
  }
  const text = summary(request, model);
  const complete = request.tools?.find((tool) => tool.name === COMPLETE_TOOL);
  if (!complete) return { text, toolCalls: [], stopReason: 'end_turn' };
  const task = excerpt(lastUserText(request), 80);
  const args = sampleFromSchema(complete.parameters, (key) => `[dry-run] ${key}${task ? ` for: ${task}` : ''}`);
  return {
    text,
    toolCalls: [toToolCall(`dryrun_${turn}_0`, COMPLETE_TOOL, JSON.stringify(args))],
    stopReason: 'tool_use',
  };
}
