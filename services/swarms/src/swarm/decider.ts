import type { Decider } from '@cadre/eventstore';
import { decideSwarm, type SwarmRequest } from './decide';
import { toSwarmEvent, type TimedSwarmEvent } from './events';
import { evolve, initialSwarmState, type SwarmState } from './state';

/** A swarm as a decider: decideSwarm on the folded swarm, its events stamped with the request's time; answers whether the command changed it. */
export const swarmDecider: Decider<SwarmRequest, SwarmState, TimedSwarmEvent, boolean> = {
  initialState: initialSwarmState,
  decide(request, state) {
    const { events, accepted } = decideSwarm(state, request);
    const occurredAt = request.now.toISOString();
    return { events: events.map((event) => ({ ...event, occurredAt }) as TimedSwarmEvent), result: accepted };
  },
  evolve,
  fromEnvelope: toSwarmEvent,
};
