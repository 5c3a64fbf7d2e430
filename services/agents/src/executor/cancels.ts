import type { Bus, Subscription } from '@cadre/bus';
import { RUN_CANCEL_FILTER, runCancelSubject } from '@cadre/proto';

/** The executor's ear for run cancellations: one subscription for all its steps. */
export interface RunCancels {
  /** Calls `abort` when `runId` is cancelled, until the returned function is called. */
  watch(runId: string, abort: () => void): () => void;
  readonly subscription: Subscription;
}

/**
 * Subscribes once to every run's cancellation subject and aborts the steps that watch that run.
 * A subscription per step cost each step a SUB, and an UNSUB with a round trip to the server to
 * drain it, on NATS; and a cancel announced before a step's SUB reached the server was not heard.
 */
export function listenForCancels(bus: Bus): RunCancels {
  const watchers = new Map<string, Set<() => void>>();
  const subscription = bus.ephemeral.subscribe(RUN_CANCEL_FILTER, (message) => {
    for (const abort of [...(watchers.get(message.subject) ?? [])]) abort();
  });
  return {
    subscription,
    watch(runId, abort) {
      const subject = runCancelSubject(runId);
      const watching = watchers.get(subject) ?? new Set<() => void>();
      watchers.set(subject, watching);
      watching.add(abort);
      return () => {
        watching.delete(abort);
        if (watching.size === 0 && watchers.get(subject) === watching) watchers.delete(subject);
      };
    },
  };
}
