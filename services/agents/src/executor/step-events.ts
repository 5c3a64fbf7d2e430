import type { EventStore, NewEvent } from '@cadre/eventstore';
import type { LlmCallRecord } from '@cadre/llm';
import type { StepJob } from '@cadre/proto';

/** What an agent did in a step, as a line of the live activity feed. */
export type ActivityKind = 'agent_started' | 'tool_called' | 'agent_completed' | 'agent_failed';

/**
 * The durable events of a step (tool calls, model calls, activity), appended to the agents' store
 * and relayed with the run as scope.
 */
export interface StepEvents {
  toolCallStart(callId: string, tool: string, args: unknown): Promise<void>;
  toolCallEnd(callId: string, tool: string, result: unknown, isError: boolean, durationMs: number): Promise<void>;
  /**
   * Keeps the record of a model call for the step's next append (the tool call it asked for, or
   * the line saying how the step ended), ahead of that append's own events: one commit, not two.
   */
  llmCall(record: LlmCallRecord): void;
  activity(kind: ActivityKind, message: string): Promise<void>;
  /**
   * Keeps a line, stamped now, for the step's next append; alone, it is appended once `lingerMs`
   * passed. A step that ends sooner (a fast model) stores its opening and closing lines in one
   * commit instead of two, and nothing waits for the first.
   */
  hold(kind: ActivityKind, message: string): void;
  /** Appends the model calls still kept, and waits for every append asked so far. */
  flush(): Promise<void>;
}

export interface StepEventsOptions {
  readonly newId: () => string;
  readonly clock: () => Date;
  /** How long a held line waits for the step's next append (ms). */
  readonly lingerMs: number;
  /** Hears of a held line that could not be appended once its wait was over. */
  readonly onLingerError: (err: unknown) => void;
}

export function createStepEvents(store: EventStore, job: StepJob, options: StepEventsOptions): StepEvents {
  const { newId } = options;
  const ref = { run_id: job.run_id, step_id: job.step_id, agent_id: job.agent_id, ...(job.swarm_id !== undefined ? { swarm_id: job.swarm_id } : {}) };
  const scope = { subjectScope: job.run_id };
  // One stream per run (its steps go one at a time): the relay publishes a stream's events in the
  // order appended, so a step's closing line is on the bus before the next step's first one, as
  // it is in the store. A redelivered attempt appends to it too ('any'), which keeps the history
  // whole. It is a log with no rule to keep, so no decider and no read before the append: one
  // statement each. The model calls go in it too (their read model keys them by their own id).
  const stream = `exec-${job.run_id}`;
  // The run's owner owns what its steps did: the stream shows these events to them and admins.
  const meta = job.user_id !== undefined ? { owner: job.user_id } : {};
  const line = (kind: ActivityKind, message: string): NewEvent => ({ type: 'activity', data: { kind, message, ...ref }, meta });
  // Model calls and held lines not yet appended; the next append takes them first.
  let kept: NewEvent[] = [];
  // Appends what is held once its wait is over (cleared by any append that takes it first).
  let lingering: NodeJS.Timeout | undefined;
  // One append at a time, in the order asked: a model call kept while an append is in flight
  // goes in the next one, so calls, tool calls and lines stay in order.
  let tail: Promise<unknown> = Promise.resolve();
  const append = (events: readonly NewEvent[]): Promise<void> => {
    const run = async (): Promise<void> => {
      clearTimeout(lingering);
      lingering = undefined;
      const all = [...kept, ...events];
      kept = [];
      if (all.length > 0) await store.append(stream, 'any', all, scope);
    };
    const next = tail.then(run, run);
    tail = next.catch(() => undefined);
    return next;
  };
  return {
    async toolCallStart(callId, tool, args) {
      // The feed line goes in the same append: it is there exactly when the tool call is.
      await append([
        { type: 'tool_call_start', data: { ...ref, tool_name: tool, tool_call_id: callId, args }, meta },
        line('tool_called', `${job.agent_id} called ${tool} in step ${job.step_id}`),
      ]);
    },
    async toolCallEnd(callId, tool, result, isError, durationMs) {
      await append([{
        type: 'tool_call_end', data: { ...ref, tool_name: tool, tool_call_id: callId, result, is_error: isError, duration_ms: durationMs }, meta,
      }]);
    },
    llmCall(record) {
      const id = newId();
      kept.push({
        id,
        type: 'llm_call',
        data: {
          id, ...ref, ...(job.user_id !== undefined ? { user_id: job.user_id } : {}), provider: record.provider, model: record.model,
          input_tokens: record.input_tokens, output_tokens: record.output_tokens,
          cost_usd: record.cost_usd, duration_ms: record.duration_ms, stop_reason: record.stop_reason,
        },
        meta,
      });
    },
    async activity(kind, message) {
      await append([line(kind, message)]);
    },
    hold(kind, message) {
      kept.push({ ...line(kind, message), occurredAt: options.clock() });
      lingering ??= setTimeout(() => {
        lingering = undefined;
        append([]).catch(options.onLingerError);
      }, options.lingerMs);
    },
    async flush() {
      await append([]);
    },
  };
}
