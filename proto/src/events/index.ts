import { EventRegistry } from '../define-event';
import { busEvents } from './bus';
import { runEvents } from './runs';
import { swarmEvents } from './swarms';
import { identityEvents } from './identity';
import { agentEvents } from './agents';

export * from './runs';
export * from './swarms';
export * from './bus';
export * from './identity';
export * from './agents';

/** Every event type Cadre knows, in one registry (for the stream docs and validation). */
export const allEvents = [...runEvents, ...swarmEvents, ...busEvents, ...identityEvents, ...agentEvents] as const;

export function createEventRegistry(): EventRegistry {
  return new EventRegistry(allEvents);
}

/** Union of every event type name. */
export type EventType = (typeof allEvents)[number]['type'];
