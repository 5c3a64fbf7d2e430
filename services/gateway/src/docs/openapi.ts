import { ERROR_CODES, type RouteDefinition } from '@cadre/proto';
import { pathParamNames } from '../http/paths';
import { embeddedSchema, withoutDescription, type JsonSchema } from './schema';

export interface OpenApiOptions {
  readonly version: string;
  readonly serverUrl: string;
}

const ERROR_RESPONSES = {
  400: ['BadRequest', 'The request failed validation (each field named in `details`) or its JSON is malformed'],
  401: ['Unauthorized', 'No credential, or one that is invalid, expired or revoked'],
  403: ['Forbidden', 'The credential is valid but may not do this'],
  404: ['NotFound', 'No such resource'],
  409: ['Conflict', 'The request conflicts with the current state'],
  413: ['PayloadTooLarge', 'The body is over the size limit'],
  415: ['UnsupportedMediaType', 'The body is not of a type the route takes (application/json; YAML where the route says so)'],
  422: ['Unprocessable', 'Understood but cannot be done (an Idempotency-Key reused for another request, a provider refusing the call)'],
  429: ['TooManyRequests', 'Too many attempts; retry later'],
  500: ['InternalError', 'Something failed on our side; the body names no internals'],
  503: ['ServiceUnavailable', 'The service that answers this, or the bus, is not available; retry'],
  504: ['Timeout', 'The answer did not come in time; retry'],
} as const satisfies Record<number, readonly [string, string]>;

type ErrorStatus = keyof typeof ERROR_RESPONSES;

const TAGS: Readonly<Record<string, string>> = {
  status: 'Liveness, readiness and status of the system',
  documents: 'Descriptions of this API and of the event stream',
  events: 'The live, resumable event stream',
};

function errorStatuses(route: RouteDefinition): ErrorStatus[] {
  const statuses = new Set<ErrorStatus>();
  if (route.params || route.query || route.body || route.stream) statuses.add(400);
  if (route.access !== 'public') statuses.add(401).add(403);
  if (pathParamNames(route.path).length > 0) statuses.add(404);
  // A command may conflict with the state, or reuse an Idempotency-Key for another request.
  if (route.message?.kind === 'command') statuses.add(409).add(422);
  for (const extra of route.errors ?? []) statuses.add(extra as ErrorStatus);
  if (route.body) statuses.add(413).add(415);
  if (route.message) statuses.add(429);
  if (route.message || route.stream || route.operationId === 'getReady') statuses.add(503);
  return [...statuses].sort((a, b) => a - b);
}

function parameters(route: RouteDefinition, shared: Record<string, JsonSchema>): JsonSchema[] {
  const out: JsonSchema[] = [];
  const paramShape = (route.params?.shape ?? {}) as Record<string, Parameters<typeof embeddedSchema>[0]>;
  for (const name of pathParamNames(route.path)) {
    const field = paramShape[name];
    const { schema, description } = field ? withoutDescription(embeddedSchema(field, 'input', shared, '#/components/schemas/')) : { schema: { type: 'string' }, description: undefined };
    out.push({ name, in: 'path', required: true, schema, ...(description ? { description } : {}) });
  }
  if (route.query) {
    const query = embeddedSchema(route.query, 'input', shared, '#/components/schemas/') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(query.properties ?? {})) {
      const { schema, description } = withoutDescription(property);
      out.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema, ...(description ? { description } : {}) });
    }
  }
  if (route.stream) {
    out.push({
      name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string', pattern: '^\\d{1,15}$' },
      description: 'Resume after this event id: every later event, none twice (EventSource sends it when it reconnects)',
    });
  }
  return out;
}

function operation(route: RouteDefinition, shared: Record<string, JsonSchema>): JsonSchema {
  const op: JsonSchema = {
    operationId: route.operationId,
    summary: route.summary,
    tags: [...route.tags],
    security: route.access === 'public' ? [] : route.stream ? [{ bearerAuth: [] }, { queryToken: [] }] : [{ bearerAuth: [] }],
    'x-cadre-access': route.access,
  };
  if (route.message) op.description = `Sent as the NATS ${route.message.kind} \`${route.message.subject}\`. ${route.message.description}`;
  const params = parameters(route, shared);
  if (params.length > 0) op.parameters = params;
  if (route.body) {
    // No body at all is the empty object (validate.ts): required only when `{}` does not pass.
    op.requestBody = {
      required: !route.body.safeParse({}).success,
      content: {
        'application/json': { schema: embeddedSchema(route.body, 'input', shared, '#/components/schemas/') },
        ...(route.yamlField !== undefined ? { 'application/yaml': { schema: { type: 'string', description: `The same document as YAML text (the \`${route.yamlField}\` field)` } } } : {}),
        ...(route.upload !== undefined ? {
          'multipart/form-data': { schema: { type: 'object', description: 'One file part (any name) and the body\'s fields as parts', properties: { [route.upload.field]: { type: 'string', format: 'binary' } } } },
          'application/octet-stream': { schema: { type: 'string', format: 'binary', description: 'The raw file, of any type but JSON; its type is sniffed from the bytes, not taken from Content-Type' } },
        } : {}),
      },
    };
  }
  const responses: JsonSchema = {};
  const status = String(route.successStatus);
  if (route.stream) {
    responses[status] = {
      description: 'An event stream: `id:` the stream sequence, `event:` the event type, `data:` the event envelope as JSON; a comment line as heartbeat',
      content: {
        'text/event-stream': { schema: { type: 'string' } },
        // A stream route with a response schema also answers once as JSON (e.g. a log tail with ?follow=false).
        ...(route.response ? { 'application/json': { schema: embeddedSchema(route.response, 'output', shared, '#/components/schemas/') } } : {}),
      },
    };
  } else if (route.download) {
    const binary = { '*/*': { schema: { type: 'string', format: 'binary' } } };
    responses[status] = { description: 'The content (Accept-Ranges: bytes)', content: binary };
    responses['206'] = { description: 'The byte range asked for with `Range` (Content-Range says which)', content: binary };
    responses['416'] = { description: 'The range is outside the content (Content-Range: bytes */size)' };
  } else if (route.successStatus === 204 || !route.response) {
    responses[status] = { description: 'Done' };
  } else {
    responses[status] = {
      description: route.successStatus === 201 ? 'Created' : 'OK',
      content: { 'application/json': { schema: embeddedSchema(route.response, 'output', shared, '#/components/schemas/') } },
    };
  }
  for (const code of errorStatuses(route)) responses[String(code)] = { $ref: `#/components/responses/${ERROR_RESPONSES[code][0]}` };
  op.responses = responses;
  return op;
}

/** The OpenAPI 3.1 document of a route table. */
export function buildOpenApi(routes: readonly RouteDefinition[], options: OpenApiOptions): JsonSchema {
  const schemas: Record<string, JsonSchema> = {
    Error: {
      type: 'object',
      description: 'The one error body of the API',
      required: ['error', 'code'],
      properties: {
        error: { type: 'string', description: 'What went wrong, for people' },
        code: {
          description: 'Stable machine-readable code: a base code, or a code a service names for its own domain (its status is that of the base code it behaves as)',
          anyOf: [{ type: 'string', enum: Object.keys(ERROR_CODES) }, { type: 'string', pattern: '^[a-z][a-z0-9_]*$' }],
        },
        details: { description: 'For validation errors, a list of { path, message }' },
      },
    },
  };
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method] = operation(route, schemas);
  const tags = [...new Set(routes.flatMap((route) => route.tags))].sort()
    .map((name) => ({ name, description: TAGS[name] ?? `Operations on ${name.replace(/[-_]/g, ' ')}` }));
  const responses = Object.fromEntries(Object.values(ERROR_RESPONSES).map(([name, description]) => [
    name, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  ]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Cadre API',
      version: options.version,
      description: 'Control plane for teams of AI agents. Every route is under /v1; errors share one body `{ error, code, details? }`; the live event stream is described by /v1/asyncapi.json.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: options.serverUrl, description: 'This gateway' }],
    tags,
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An access token, an API key, or the engine\'s internal token' },
        queryToken: { type: 'apiKey', in: 'query', name: 'token', description: 'The same credential in the query, for EventSource clients (stream routes only)' },
      },
      responses,
      schemas,
    },
  };
}
