import type { StreamMessage } from '@cadre/bus';
import { ALL_EVENTS, EventEnvelope, domainFilter, eventTypeFilter, type EventRegistry } from '@cadre/proto';
import { upcastEnvelope } from '../read';

/**
 * The envelope a bus message carries, upcast through the registry to the current schema
 * versions (as the store's reads are); undefined when the message is not an envelope.
 */
export function decodeEvent(message: Pick<StreamMessage, 'json'>, registry: EventRegistry): EventEnvelope | undefined {
  let body: unknown;
  try {
    body = message.json();
  } catch {
    return undefined;
  }
  const parsed = EventEnvelope.safeParse(body);
  return parsed.success ? upcastEnvelope(registry, parsed.data) : undefined;
}

/**
 * The narrowest subject filter that covers the event types (each must be in the registry):
 * `evt.<domain>.<type>.>` for one type, `evt.<domain>.>` for one domain, else every event.
 */
export function subjectFilterFor(events: readonly string[], registry: EventRegistry): string {
  if (events.length === 0) throw new Error('a projection names at least one event type');
  const domains = new Set(events.map((type) => registry.get(type).domain));
  if (domains.size > 1) return ALL_EVENTS;
  const first = registry.get(events[0]!);
  return events.length === 1 ? eventTypeFilter(first) : domainFilter(first.domain);
}
