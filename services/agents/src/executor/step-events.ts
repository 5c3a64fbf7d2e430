import type { EventStore } from '@cadre/eventstore';
import type { LlmCallRecord } from '@cadre/llm';
import type { StepJob } from '@cadre/proto';

/** The durable events of a step (tool calls, model calls), appended to the agents' store and relayed with the run as scope. */
export interface StepEvents {
  toolCallStart(callId: string, tool: string, args: unknown): Promise<void>;
  toolCallEnd(callId: string, tool: string, result: unknown, isError: boolean, durationMs: number): Promise<void>;
  llmCall(record: LlmCallRecord): Promise<void>;
}

export function createStepEvents(store: EventStore, job: StepJob, newId: () => string): StepEvents {
  const ref = { run_id: job.run_id, step_id: job.step_id, agent_id: job.agent_id };
  const scope = { subjectScope: job.run_id };
  // One stream per step: a redelivered attempt appends to it too ('any'), which keeps the history whole.
  const stream = `exec-${job.run_id}-${job.step_id}`;
  return {
    async toolCallStart(callId, tool, args) {
      await store.append(stream, 'any', [{ type: 'tool_call_start', data: { ...ref, tool_name: tool, tool_call_id: callId, args } }], scope);
    },
    async toolCallEnd(callId, tool, result, isError, durationMs) {
      await store.append(stream, 'any', [{
        type: 'tool_call_end', data: { ...ref, tool_name: tool, tool_call_id: callId, result, is_error: isError, duration_ms: durationMs },
      }], scope);
    },
    async llmCall(record) {
      const id = newId();
      await store.append(`llm-call-${id}`, 'no_stream', [{
        id,
        type: 'llm_call',
        data: {
          id, ...ref, provider: record.provider, model: record.model, input_tokens: record.input_tokens, output_tokens: record.output_tokens,
          cost_usd: record.cost_usd, duration_ms: record.duration_ms, stop_reason: record.stop_reason,
        },
      }], scope);
    },
  };
}
