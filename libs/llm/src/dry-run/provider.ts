import { abortedError } from '../errors';
import { sleep } from '../retry';
import type { LlmProvider, LlmRequest, LlmStreamEvent, LlmStreamOptions, LlmUsage } from '../types';
import { planDryRunTurn } from './script';

export interface DryRunProviderOptions {
  readonly id?: string;
  /** Pause before each streamed piece (0, the default: no latency at all). */
  readonly chunkDelayMs?: number;
}

/** A rough token count (four characters a token), enough for plausible usage numbers. */
export function approxTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function pieces(text: string): string[] {
  // A few words per piece, so consumers see a real stream of deltas.
  return text.match(/(?:\S+\s*){1,4}|\s+/g) ?? [];
}

function usageOf(request: LlmRequest, output: string): LlmUsage {
  const prompt = JSON.stringify({ system: request.system ?? '', messages: request.messages, tools: request.tools ?? [] });
  return { inputTokens: approxTokens(prompt), outputTokens: Math.max(1, approxTokens(output)) };
}

/**
 * The offline provider: no network, the same answer for the same request, and text that says
 * it is a dry run. See planDryRunTurn for the scripted tool calls.
 */
export function createDryRunProvider(options: DryRunProviderOptions = {}): LlmProvider {
  const id = options.id ?? 'dry-run';
  const delayMs = options.chunkDelayMs ?? 0;

  async function* stream(request: LlmRequest, streamOptions: LlmStreamOptions = {}): AsyncGenerator<LlmStreamEvent> {
    const signal = streamOptions.signal;
    const step = async (): Promise<void> => {
      if (signal?.aborted) throw abortedError(id, signal.reason);
      if (delayMs > 0) await sleep(delayMs, signal).catch((reason: unknown) => Promise.reject(abortedError(id, reason)));
    };
    const turn = planDryRunTurn(request, request.model);
    if (request.thinkingBudget) {
      const thought = '[dry-run] No reasoning happened: this is a dry run.';
      await step();
      yield { type: 'thinking_delta', text: thought };
      yield { type: 'thinking_block', block: { text: thought } };
    }
    for (const piece of pieces(turn.text)) {
      await step();
      yield { type: 'text_delta', text: piece };
    }
    for (const call of turn.toolCalls) {
      await step();
      yield { type: 'tool_call', call };
    }
    await step();
    yield { type: 'usage', usage: usageOf(request, turn.text + turn.toolCalls.map((call) => JSON.stringify(call.args)).join('')) };
    yield { type: 'done', stopReason: turn.stopReason };
  }

  return { id, stream };
}
