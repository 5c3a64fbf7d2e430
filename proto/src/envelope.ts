import { z } from 'zod';

/** Metadata every event carries: who caused it and how to trace it. */
export const EventMeta = z.object({
  correlationId: z.string().optional().describe('Id shared by everything one request caused'),
  causationId: z.string().optional().describe('Id of the command or event that caused this one'),
  actor: z.string().optional().describe('User, API key or service that acted'),
  owner: z.string().optional().describe('Id of the user who owns what the event is about; events of owner-visible domains without one are shown to admins only'),
  project: z.string().optional().describe('Id of the project the resource belongs to, when it belongs to one'),
  traceparent: z.string().optional().describe('W3C trace context of the writer'),
  tracestate: z.string().optional(),
  schemaVersion: z.number().int().positive().default(1).describe('Version of the data schema of this event type'),
});
export type EventMeta = z.infer<typeof EventMeta>;

/**
 * The envelope of every event, in the event store and on the bus. `stream` + `version` give the
 * aggregate and its optimistic-concurrency version; `position` is the store's global order.
 */
export const EventEnvelope = z.object({
  id: z.string().uuid().describe('UUIDv7 of the event'),
  type: z.string().min(1).max(100).describe('Lower-case event name, e.g. run_created'),
  stream: z.string().min(1).max(200).describe('Aggregate stream id, e.g. run-<uuid>'),
  version: z.number().int().positive().describe('Version of the stream after this event (1-based)'),
  occurredAt: z.string().datetime({ offset: true }),
  data: z.record(z.string(), z.unknown()),
  meta: EventMeta,
});
export type EventEnvelope<TData = Record<string, unknown>> = Omit<z.infer<typeof EventEnvelope>, 'data'> & {
  readonly data: TData;
};
