import { SpanStatusCode, trace } from '@opentelemetry/api';
import { CadreError } from '@cadre/proto';
import { isAbortError } from './errors';
import type { PriceTable } from './prices';
import type { LlmCallRecord, LlmLogger, LlmStopReason, LlmStreamEvent, LlmUsage } from './types';

/** Receives the record of every call, finished or failed (e.g. to publish `llm_call`). */
export type LlmCallHook = (record: LlmCallRecord) => void;

export interface RecordCallOptions {
  readonly provider: string;
  readonly model: string;
  readonly prices: PriceTable;
  /** Monotonic milliseconds, for the duration. */
  readonly now: () => number;
  readonly hooks: readonly LlmCallHook[];
  readonly logger?: LlmLogger;
}

const tracer = trace.getTracer('@cadre/llm');

/**
 * Passes a stream through unchanged and, when it ends — done, failed, aborted, or left early
 * by its consumer — builds the call's record and hands it to every hook. A span covers the call.
 */
export async function* recordCall(events: AsyncIterable<LlmStreamEvent>, options: RecordCallOptions): AsyncGenerator<LlmStreamEvent> {
  const started = options.now();
  const span = tracer.startSpan(`llm ${options.provider}`, {
    attributes: { 'gen_ai.system': options.provider, 'gen_ai.request.model': options.model },
  });
  let usage: LlmUsage = { inputTokens: 0, outputTokens: 0 };
  let stopReason: LlmStopReason | undefined;
  let toolCalls = 0;
  let failure: unknown;
  try {
    for await (const event of events) {
      if (event.type === 'usage') usage = event.usage;
      else if (event.type === 'done') stopReason = event.stopReason;
      else if (event.type === 'tool_call') toolCalls += 1;
      yield event;
    }
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    const cost = options.prices.costOf(`${options.provider}/${options.model}`, usage);
    const outcome = failure !== undefined ? (isAbortError(failure) ? 'aborted' : 'error') : (stopReason ?? 'aborted');
    const error = failure instanceof CadreError ? { code: failure.code, message: failure.message } : failure === undefined ? undefined : { code: 'internal', message: String(failure) };
    const record: LlmCallRecord = {
      provider: options.provider,
      model: options.model,
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      ...(usage.cacheReadTokens === undefined ? {} : { cache_read_tokens: usage.cacheReadTokens }),
      ...(usage.cacheWriteTokens === undefined ? {} : { cache_write_tokens: usage.cacheWriteTokens }),
      cost_usd: cost.usd,
      cost_known: cost.known,
      duration_ms: Math.max(0, Math.round(options.now() - started)),
      stop_reason: outcome,
      tool_call_count: toolCalls,
      ...(error ? { error } : {}),
    };
    span.setAttributes({
      'gen_ai.usage.input_tokens': record.input_tokens,
      'gen_ai.usage.output_tokens': record.output_tokens,
      'gen_ai.response.finish_reasons': [record.stop_reason],
      'cadre.llm.cost_usd': record.cost_usd,
    });
    if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    span.end();
    for (const hook of options.hooks) {
      try {
        hook(record);
      } catch (hookError) {
        // A broken hook must not turn a good model answer into a failure.
        options.logger?.warn({ err: hookError, provider: record.provider }, 'llm call hook failed');
      }
    }
  }
}
