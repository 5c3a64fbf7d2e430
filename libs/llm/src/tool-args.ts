import type { LlmToolCall } from './types';

/** Parses a tool call's argument text; anything but a JSON object is reported, not thrown. */
export function parseToolArgs(raw: string): { readonly args: Readonly<Record<string, unknown>>; readonly error?: string } {
  // Models that call a tool without parameters often send nothing at all.
  if (raw.trim() === '') return { args: {} };
  try {
    const value = JSON.parse(raw) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return { args: value as Record<string, unknown> };
    return { args: {}, error: `tool arguments must be a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}` };
  } catch (error) {
    return { args: {}, error: `tool arguments are not valid JSON: ${(error as Error).message}` };
  }
}

/** Builds a tool call from its assembled pieces. */
export function toToolCall(id: string, name: string, raw: string): LlmToolCall {
  const parsed = parseToolArgs(raw);
  return parsed.error === undefined ? { id, name, args: parsed.args } : { id, name, args: {}, argsError: parsed.error, rawArgs: raw };
}

/** A piece of a streamed tool call: any field may be missing from a given piece. */
export interface ToolCallFragment {
  readonly id?: string;
  readonly name?: string;
  readonly args?: string;
}

interface PendingCall {
  id: string;
  name: string;
  args: string;
}

/**
 * Collects streamed tool-call fragments by their index (OpenAI sends the id and name once and
 * the arguments in pieces) and yields the finished calls in index order.
 */
export class ToolCallAssembler {
  private readonly calls = new Map<number, PendingCall>();

  append(index: number, fragment: ToolCallFragment): void {
    const call = this.calls.get(index) ?? { id: '', name: '', args: '' };
    if (fragment.id) call.id = fragment.id;
    // Servers send the name once or repeat it whole in every piece: never concatenate it.
    if (fragment.name) call.name = fragment.name;
    if (fragment.args) call.args += fragment.args;
    this.calls.set(index, call);
  }

  clear(): void {
    this.calls.clear();
  }

  get size(): number {
    return this.calls.size;
  }

  /** The finished calls, in index order; a call without an id gets `call_<index>`. */
  finish(): LlmToolCall[] {
    return [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .filter(([, call]) => call.name !== '')
      .map(([index, call]) => toToolCall(call.id || `call_${index}`, call.name, call.args));
  }
}
