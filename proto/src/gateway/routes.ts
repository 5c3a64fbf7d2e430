import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../http/route';

// Routes the gateway answers itself (no NATS message): probes, status, API documents, SSE.

const Id = z.string().min(1).max(200);

export const HealthReply = z.object({ status: z.literal('ok') }).describe('The process answers');

export const ReadyReply = z
  .object({
    status: z.literal('ready'),
    checks: z.record(z.string(), z.boolean()).describe('Each dependency and whether it answered'),
  })
  .describe('Every dependency the gateway needs answers');

export const StatusReply = z.object({
  status: z.enum(['ok', 'degraded']),
  version: z.string(),
  instance: z.string(),
  uptime_seconds: z.number().nonnegative(),
  bus: z.object({ transport: z.enum(['nats', 'embedded']), healthy: z.boolean() }),
  database: z.object({ healthy: z.boolean() }),
  identity: z.object({ healthy: z.boolean() }),
  events: z.object({
    last_seq: z.number().int().nonnegative().nullable().describe('Sequence of the last event in the stream (null when it cannot be read)'),
    live_seq: z.number().int().nonnegative().describe('Last sequence this gateway has fanned out to its SSE clients'),
  }),
  sse: z.object({
    clients: z.number().int().nonnegative(),
    catching_up: z.number().int().nonnegative().describe('Clients still replaying from their Last-Event-ID'),
    dropped: z.number().int().nonnegative().describe('Clients closed because they did not read fast enough'),
  }),
  http: z.object({ in_flight: z.number().int().nonnegative() }),
});
export type StatusReply = z.infer<typeof StatusReply>;

export const ApiDocument = z.record(z.string(), z.unknown()).describe('A JSON API description document');

const EVENT_TYPE_LIST = /^[a-z][a-z0-9_]*(,[a-z][a-z0-9_]*)*$/;

/** Filters and resume position of the SSE stream; `Last-Event-ID` (header) wins over `last_event_id`. */
export const EventStreamQuery = z.object({
  last_event_id: z.string().regex(/^\d{1,15}$/, 'expected a stream sequence number').optional()
    .describe('Resume after this event id (for clients that cannot set the Last-Event-ID header)'),
  run_id: Id.optional().describe('Only events of this run'),
  swarm_id: Id.optional().describe('Only events of this swarm'),
  agent_id: Id.optional().describe('Only events naming this agent'),
  session_id: Id.optional().describe('Only events of this session'),
  types: z.string().max(2000).regex(EVENT_TYPE_LIST, 'expected a comma-separated list of event types').optional()
    .describe('Only these event types (comma list), e.g. run_created,step_complete'),
  project_id: Id.optional().describe('Only events of this project (its board, tasks and policy)'),
});
export type EventStreamQuery = z.infer<typeof EventStreamQuery>;

export const healthRoute = defineRoute({
  method: 'get', path: '/v1/health', operationId: 'getHealth', summary: 'Liveness: the gateway process answers',
  tags: ['status'], access: 'public', response: HealthReply, successStatus: 200,
});

export const readyRoute = defineRoute({
  method: 'get', path: '/v1/ready', operationId: 'getReady', summary: 'Readiness: the bus and the identity service answer',
  tags: ['status'], access: 'public', response: ReadyReply, successStatus: 200,
});

export const statusRoute = defineRoute({
  method: 'get', path: '/v1/status', operationId: 'getStatus', summary: 'Health, bus and database status, and summary statistics',
  tags: ['status'], access: 'user', response: StatusReply, successStatus: 200,
});

export const openApiRoute = defineRoute({
  method: 'get', path: '/v1/openapi.json', operationId: 'getOpenApiDocument', summary: 'This API as an OpenAPI 3.1 document',
  tags: ['documents'], access: 'public', response: ApiDocument, successStatus: 200,
});

export const asyncApiRoute = defineRoute({
  method: 'get', path: '/v1/asyncapi.json', operationId: 'getAsyncApiDocument', summary: 'The event stream and NATS subjects as an AsyncAPI 3 document',
  tags: ['documents'], access: 'public', response: ApiDocument, successStatus: 200,
});

export const eventStreamRoute = defineRoute({
  method: 'get', path: '/v1/events/stream', operationId: 'streamEvents',
  summary: 'Server-Sent Events: every event as it happens, resumable with Last-Event-ID, filtered on the server',
  tags: ['events'], access: 'user', query: EventStreamQuery, successStatus: 200, stream: true,
});

export const gatewayRoutes: readonly RouteDefinition[] = [healthRoute, readyRoute, statusRoute, openApiRoute, asyncApiRoute, eventStreamRoute];
