import type { Bus } from '@cadre/bus';
import type { Logger } from '@cadre/logging';
import { agentOutput, eventSubject, type EventEnvelope, type StepJob } from '@cadre/proto';

/** The ephemeral, high-volume events: published straight to the stream, never stored. */
export type OutputKind = 'agent_output' | 'agent_thinking';

/** Streamed text of one step, batched so a token-by-token model does not become an event per token. */
export interface OutputStream {
  push(kind: OutputKind, text: string): void;
  /** Publishes what is pending and waits until every publish so far is done. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface OutputStreamOptions {
  readonly bus: Bus;
  readonly job: StepJob;
  readonly flushMs: number;
  readonly newId: () => string;
  readonly clock: () => Date;
  readonly logger: Logger;
}

export function createOutputStream(options: OutputStreamOptions): OutputStream {
  const { bus, job } = options;
  // One pending chunk at a time: a kind change flushes, so text and thinking stay in order.
  let pending: { kind: OutputKind; text: string } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let version = 0;
  const stream = `output-${job.run_id}-${job.step_id}-${job.attempt}`;

  const publishNow = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const chunk = pending;
    pending = undefined;
    if (!chunk || chunk.text === '') return;
    const envelope: EventEnvelope = {
      id: options.newId(), type: chunk.kind, stream, version: ++version, occurredAt: options.clock().toISOString(),
      data: { run_id: job.run_id, step_id: job.step_id, agent_id: job.agent_id, ...(job.swarm_id !== undefined ? { swarm_id: job.swarm_id } : {}), chunk: chunk.text },
      // Owned by the run's creator, like every event of the run.
      meta: { schemaVersion: 1, ...(job.user_id !== undefined ? { owner: job.user_id } : {}) },
    };
    const subject = eventSubject(agentOutput.domain, chunk.kind, job.run_id);
    // Published in order, one after the other; a lost chunk is logged, never fails the step.
    chain = chain.then(() => bus.events.publish(subject, Buffer.from(JSON.stringify(envelope)), { msgId: envelope.id }))
      .then(() => undefined, (err: unknown) => options.logger.warn({ err, run_id: job.run_id }, 'could not publish agent output'));
  };

  return {
    push(kind, text) {
      if (text === '') return;
      if (pending && pending.kind !== kind) publishNow();
      pending = pending ? { kind, text: pending.text + text } : { kind, text };
      if (options.flushMs === 0) publishNow();
      else timer ??= setTimeout(publishNow, options.flushMs);
    },
    async flush() {
      publishNow();
      await chain;
    },
    async close() {
      publishNow();
      await chain;
    },
  };
}
