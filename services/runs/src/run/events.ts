import type { z } from 'zod';
import type {
  activity, runCancelled, runComplete, runCreated, runFailed, runRestarted,
  stepCancelled, stepComplete, stepFailed, stepQueued, stepRetrying, stepStarted, EventEnvelope,
} from '@cadre/proto';

type Data<D extends { readonly data: z.ZodType }> = z.input<D['data']>;

/** An event of a run's stream, typed by its name (the data as written). */
export type RunEvent =
  | { readonly type: 'run_created'; readonly data: Data<typeof runCreated> }
  | { readonly type: 'run_complete'; readonly data: Data<typeof runComplete> }
  | { readonly type: 'run_failed'; readonly data: Data<typeof runFailed> }
  | { readonly type: 'run_cancelled'; readonly data: Data<typeof runCancelled> }
  | { readonly type: 'run_restarted'; readonly data: Data<typeof runRestarted> }
  | { readonly type: 'step_queued'; readonly data: Data<typeof stepQueued> }
  | { readonly type: 'step_started'; readonly data: Data<typeof stepStarted> }
  | { readonly type: 'step_complete'; readonly data: Data<typeof stepComplete> }
  | { readonly type: 'step_failed'; readonly data: Data<typeof stepFailed> }
  | { readonly type: 'step_retrying'; readonly data: Data<typeof stepRetrying> }
  | { readonly type: 'step_cancelled'; readonly data: Data<typeof stepCancelled> }
  | { readonly type: 'activity'; readonly data: Data<typeof activity> };

/** A run event with the time it happened (what `evolve` folds). */
export type TimedRunEvent = RunEvent & { readonly occurredAt: string };

/** The run stream's event types of the `runs` domain (all but the activity lines it also holds). */
export const runEventTypes: readonly RunEvent['type'][] = [
  'run_created', 'run_complete', 'run_failed', 'run_cancelled', 'run_restarted',
  'step_queued', 'step_started', 'step_complete', 'step_failed', 'step_retrying', 'step_cancelled',
];

const TYPES = new Set<string>([...runEventTypes, 'activity']);

/** The run event an envelope holds, or undefined for a type the run stream never holds. */
export function toRunEvent(envelope: EventEnvelope): TimedRunEvent | undefined {
  if (!TYPES.has(envelope.type)) return undefined;
  // The store validated the data against the event's schema when it was appended.
  return { type: envelope.type, data: envelope.data, occurredAt: envelope.occurredAt } as TimedRunEvent;
}

/** Stream id of a run. */
export function runStream(runId: string): string {
  return `run-${runId}`;
}
