import type { EventStore } from '@cadre/eventstore';
import type { LlmCallRecord } from '@cadre/llm';
import type { StepJob } from '@cadre/proto';

/** What an agent did in a step, as a line of the live activity feed. */
export type ActivityKind = 'agent_started' | 'tool_called' | 'agent_completed' | 'agent_failed';

/** The durable events of a step (tool calls, model calls, activity), appended to the agents' store and relayed with the run as scope. */
export interface StepEvents {
  toolCallStart(callId: string, tool: string, args: unknown): Promise<void>;
  toolCallEnd(callId: string, tool: string, result: unknown, isError: boolean, durationMs: number): Promise<void>;
  llmCall(record: LlmCallRecord): Promise<void>;
  activity(kind: ActivityKind, message: string): Promise<void>;
}

export function createStepEvents(store: EventStore, job: StepJob, newId: () => string): StepEvents {
  const ref = { run_id: job.run_id, step_id: job.step_id, agent_id: job.agent_id, ...(job.swarm_id !== undefined ? { swarm_id: job.swarm_id } : {}) };
  const scope = { subjectScope: job.run_id };
  // One stream per step: a redelivered attempt appends to it too ('any'), which keeps the history whole.
  // It is a log with no rule to keep, so no decider and no read before the append: one statement each.
  const stream = `exec-${job.run_id}-${job.step_id}`;
  // The run's owner owns what its steps did: the stream shows these events to them and admins.
  const meta = job.user_id !== undefined ? { owner: job.user_id } : {};
  const line = (kind: ActivityKind, message: string) => ({ type: 'activity', data: { kind, message, ...ref }, meta });
  // One append at a time, in the order asked: an llm_call recorded without waiting (the loop goes
  // on to the tools) still lands before the tool call that followed it, and calls stay in order.
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(append: () => Promise<T>): Promise<T> => {
    const next = tail.then(append, append);
    tail = next.catch(() => undefined);
    return next;
  };
  return {
    async toolCallStart(callId, tool, args) {
      // The feed line goes in the same append: it is there exactly when the tool call is.
      await serial(() => store.append(stream, 'any', [
        { type: 'tool_call_start', data: { ...ref, tool_name: tool, tool_call_id: callId, args }, meta },
        line('tool_called', `${job.agent_id} called ${tool} in step ${job.step_id}`),
      ], scope));
    },
    async toolCallEnd(callId, tool, result, isError, durationMs) {
      await serial(() => store.append(stream, 'any', [{
        type: 'tool_call_end', data: { ...ref, tool_name: tool, tool_call_id: callId, result, is_error: isError, duration_ms: durationMs }, meta,
      }], scope));
    },
    async llmCall(record) {
      const id = newId();
      await serial(() => store.append(`llm-call-${id}`, 'no_stream', [{
        id,
        type: 'llm_call',
        data: {
          id, ...ref, ...(job.user_id !== undefined ? { user_id: job.user_id } : {}), provider: record.provider, model: record.model,
          input_tokens: record.input_tokens, output_tokens: record.output_tokens,
          cost_usd: record.cost_usd, duration_ms: record.duration_ms, stop_reason: record.stop_reason,
        },
        meta,
      }], scope));
    },
    async activity(kind, message) {
      await serial(() => store.append(stream, 'any', [line(kind, message)], scope));
    },
  };
}
