import type { Decider } from '@cadre/eventstore';
import type { Pipeline } from '@cadre/pipelines';
import { decideRun, type RunCommand } from './decide';
import { toRunEvent, type RunEvent, type TimedRunEvent } from './events';
import { evolve, initialRunState, type RunState } from './state';

/** A run command with what deciding it takes: the run's pipeline (undefined: unknown or deleted) and the time. */
export interface RunRequest {
  readonly command: RunCommand;
  readonly pipeline: Pipeline | undefined;
  readonly now: Date;
}

/**
 * A run as a decider: decideRun on the folded run, its events stamped with the request's time.
 * It answers whether an executor's report was taken (false: a duplicate or stale report).
 */
export const runDecider: Decider<RunRequest, RunState, TimedRunEvent, boolean> = {
  initialState: initialRunState,
  decide({ command, pipeline, now }, state) {
    const { events, accepted } = decideRun(state, command, pipeline, now);
    const occurredAt = now.toISOString();
    // Every event of a swarm's run names the swarm, so the stream's `?swarm_id=` carries it.
    const swarmId = command.kind === 'create' ? command.swarmId : state.swarmId;
    const stamp = (event: RunEvent): RunEvent => (swarmId === undefined ? event : { ...event, data: { ...event.data, swarm_id: swarmId } } as RunEvent);
    return { events: events.map((event) => ({ ...stamp(event), occurredAt }) as TimedRunEvent), result: accepted };
  },
  evolve,
  fromEnvelope: toRunEvent,
};
