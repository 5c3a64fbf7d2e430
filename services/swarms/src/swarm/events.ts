import type { z } from 'zod';
import type {
  EventEnvelope, swarmCancelled, swarmCompleted, swarmCreated, swarmFailed, swarmRetried,
  swarmTaskComplete, swarmTaskFailed, swarmTaskRetrying, swarmTaskSkipped, swarmTaskStarted,
} from '@cadre/proto';

type Data<D extends { readonly data: z.ZodType }> = z.input<D['data']>;

/** An event of a swarm's stream, typed by its name (the data as written). */
export type SwarmEvent =
  | { readonly type: 'swarm_created'; readonly data: Data<typeof swarmCreated> }
  | { readonly type: 'swarm_task_started'; readonly data: Data<typeof swarmTaskStarted> }
  | { readonly type: 'swarm_task_complete'; readonly data: Data<typeof swarmTaskComplete> }
  | { readonly type: 'swarm_task_failed'; readonly data: Data<typeof swarmTaskFailed> }
  | { readonly type: 'swarm_task_retrying'; readonly data: Data<typeof swarmTaskRetrying> }
  | { readonly type: 'swarm_task_skipped'; readonly data: Data<typeof swarmTaskSkipped> }
  | { readonly type: 'swarm_completed'; readonly data: Data<typeof swarmCompleted> }
  | { readonly type: 'swarm_failed'; readonly data: Data<typeof swarmFailed> }
  | { readonly type: 'swarm_cancelled'; readonly data: Data<typeof swarmCancelled> }
  | { readonly type: 'swarm_retried'; readonly data: Data<typeof swarmRetried> };

/** A swarm event with the time it happened (what `evolve` folds). */
export type TimedSwarmEvent = SwarmEvent & { readonly occurredAt: string };

export const swarmEventTypes: readonly SwarmEvent['type'][] = [
  'swarm_created', 'swarm_task_started', 'swarm_task_complete', 'swarm_task_failed', 'swarm_task_retrying',
  'swarm_task_skipped', 'swarm_completed', 'swarm_failed', 'swarm_cancelled', 'swarm_retried',
];

const TYPES = new Set<string>(swarmEventTypes);

/** The swarm event an envelope holds, or undefined for another type. */
export function toSwarmEvent(envelope: EventEnvelope): TimedSwarmEvent | undefined {
  if (!TYPES.has(envelope.type)) return undefined;
  // The store validated the data against the event's schema when it was appended.
  return { type: envelope.type, data: envelope.data, occurredAt: envelope.occurredAt } as TimedSwarmEvent;
}

/** Stream id of a swarm. */
export function swarmStream(swarmId: string): string {
  return `swarm-${swarmId}`;
}

/** Run id of one attempt of one task: chosen by the swarm, so a spawn sent again finds the run it made. */
export function taskRunId(swarmId: string, taskIndex: number, attempt: number): string {
  return `${swarmId}-t${taskIndex}-a${attempt}`;
}
