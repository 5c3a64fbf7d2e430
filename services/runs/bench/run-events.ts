import { performance } from 'node:perf_hooks';
import type { Bus, Subscription } from '@cadre/bus';
import { domainFilter } from '@cadre/proto';

// What the orchestration bench sees of the runs: their events as received, and the gaps between them.

/** A runs event as the bench's subscription received it: when, and by its own clock. */
export interface Seen {
  readonly type: string;
  readonly stepId: string | undefined;
  readonly attempt: number | undefined;
  readonly at: number;
  readonly occurredAt: number;
}

/** Every runs event of every run, as the bench's subscription received it. */
export async function watch(bus: Bus, byRun: Map<string, Seen[]>, onComplete: (runId: string) => void): Promise<Subscription> {
  return bus.events.replay({ fromSeq: (await bus.events.lastSeq()) + 1, filterSubject: domainFilter('runs') }, (message) => {
    const at = performance.now();
    const envelope = message.json<{ type: string; occurredAt: string; data: { run_id?: string; step_id?: string; attempt?: number } }>();
    const runId = envelope.data.run_id;
    if (runId === undefined) return;
    const list = byRun.get(runId) ?? [];
    list.push({ type: envelope.type, stepId: envelope.data.step_id, attempt: envelope.data.attempt, at, occurredAt: Date.parse(envelope.occurredAt) });
    byRun.set(runId, list);
    if (envelope.type === 'run_complete' || envelope.type === 'run_failed') onComplete(runId);
  });
}

export interface Gaps {
  queuedToStarted: number[];
  completeToQueued: number[];
  startedToComplete: number[];
  queuedToStartedClock: number[];
  completeToQueuedClock: number[];
  startedToCompleteClock: number[];
}

export function gapsOf(events: readonly Seen[], into: Gaps): void {
  const key = (e: Seen) => `${e.stepId}#${e.attempt ?? 1}`;
  const queued = new Map<string, Seen>();
  const started = new Map<string, Seen>();
  let lastComplete: Seen | undefined;
  for (const event of events) {
    if (event.type === 'step_queued') {
      queued.set(key(event), event);
      if (lastComplete) {
        into.completeToQueued.push(event.at - lastComplete.at);
        into.completeToQueuedClock.push(event.occurredAt - lastComplete.occurredAt);
        lastComplete = undefined;
      }
    } else if (event.type === 'step_started') {
      const q = queued.get(key(event));
      if (q) {
        into.queuedToStarted.push(event.at - q.at);
        into.queuedToStartedClock.push(event.occurredAt - q.occurredAt);
      }
      started.set(key(event), event);
    } else if (event.type === 'step_complete') {
      const s = [...started.values()].find((e) => e.stepId === event.stepId);
      if (s) {
        into.startedToComplete.push(event.at - s.at);
        into.startedToCompleteClock.push(event.occurredAt - s.occurredAt);
      }
      lastComplete = event;
    }
  }
}

export const emptyGaps = (): Gaps => ({ queuedToStarted: [], completeToQueued: [], startedToComplete: [], queuedToStartedClock: [], completeToQueuedClock: [], startedToCompleteClock: [] });
