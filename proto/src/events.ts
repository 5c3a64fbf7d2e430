import { EventRegistry } from './define-event';
import { activity } from './activity/events';
import { agentSettingsEvents, agentStepEvents } from './agents/events';
import { busEvents } from './bus/events';
import { identityEvents } from './identity/events';
import {
  runCancelled, runComplete, runCreated, runFailed, runRestarted,
  stepCancelled, stepComplete, stepFailed, stepQueued, stepRetrying, stepStarted,
} from './runs/events';
import { swarmEvents } from './swarms/events';
import { voiceEvents } from './voice/events';
import { projectEvents } from './projects/events';
import { memoryEvents } from './memory/events';
import { knowledgeEvents } from './knowledge/events';

/**
 * Every event type Cadre knows, in one registry (for the stream docs and validation). Each is
 * defined in its domain's folder (`<domain>/events.ts`). The order is the order they came in
 * (the agents' step events and the activity feed were first defined with the runs'): append
 * new events at the end, never reorder.
 */
export const allEvents = [
  runCreated, runComplete, runFailed, runCancelled,
  stepQueued, stepStarted, stepComplete, stepFailed, stepRetrying, stepCancelled,
  ...agentStepEvents, activity,
  runRestarted,
  ...swarmEvents, ...busEvents, ...identityEvents, ...agentSettingsEvents,
  ...voiceEvents,
  ...projectEvents,
  ...memoryEvents,
  ...knowledgeEvents,
] as const;

export function createEventRegistry(): EventRegistry {
  return new EventRegistry(allEvents);
}

/** Union of every event type name. */
export type EventType = (typeof allEvents)[number]['type'];
