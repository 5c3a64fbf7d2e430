import { EventEnvelope, eventTypePrefix, type EventDefinition, type MessageDefinition } from '@cadre/proto';
import { embeddedSchema, type JsonSchema } from './schema';

export interface AsyncApiOptions {
  readonly version: string;
  /** host:port of the gateway, as clients reach it. */
  readonly gatewayHost: string;
}

const SCHEMAS = '#/components/schemas/';

function eventPayload(event: EventDefinition, shared: Record<string, JsonSchema>): JsonSchema {
  const envelope = embeddedSchema(EventEnvelope, 'output', shared, SCHEMAS) as JsonSchema & { properties: Record<string, JsonSchema> };
  return {
    ...envelope,
    properties: {
      ...envelope.properties,
      type: { type: 'string', const: event.type },
      data: { ...embeddedSchema(event.data, 'output', shared, SCHEMAS), description: event.description },
    },
  };
}

/**
 * The AsyncAPI 3 document: the SSE stream (one message per event type, its envelope with the
 * type's data schema), the same events on their NATS subjects, and the commands and queries
 * services answer over NATS request/reply.
 */
export function buildAsyncApi(events: readonly EventDefinition[], messages: readonly MessageDefinition[], options: AsyncApiOptions): JsonSchema {
  const schemas: Record<string, JsonSchema> = {};
  const componentMessages: Record<string, JsonSchema> = {};
  const channels: Record<string, JsonSchema> = {};
  const operations: Record<string, JsonSchema> = {};
  const sorted = [...events].sort((a, b) => a.type.localeCompare(b.type));

  for (const event of sorted) {
    componentMessages[event.type] = {
      name: event.type,
      title: event.type,
      summary: event.description,
      contentType: 'application/json',
      payload: eventPayload(event, schemas),
      'x-version': event.version,
    };
  }
  const eventRefs = Object.fromEntries(sorted.map((e) => [e.type, { $ref: `#/components/messages/${e.type}` }]));
  channels.eventStream = {
    address: '/v1/events/stream',
    title: 'Server-Sent Events stream',
    description: 'SSE: `id:` is the stream sequence (send it back as Last-Event-ID to resume), `event:` the event type, `data:` the envelope. Filters: run_id, swarm_id, agent_id, session_id, types.',
    servers: [{ $ref: '#/servers/gateway' }],
    messages: eventRefs,
  };
  operations.receiveEvents = {
    action: 'receive',
    title: 'Follow the event stream',
    channel: { $ref: '#/channels/eventStream' },
    messages: sorted.map((e) => ({ $ref: `#/channels/eventStream/messages/${e.type}` })),
  };
  for (const event of sorted) {
    const id = eventTypePrefix(event);
    channels[id] = {
      address: `${id}.{scope}`,
      description: event.description,
      servers: [{ $ref: '#/servers/nats' }],
      parameters: { scope: { description: 'The id consumers filter on: run, swarm, session or user' } },
      messages: { [event.type]: { $ref: `#/components/messages/${event.type}` } },
    };
    operations[`consume.${id}`] = { action: 'receive', channel: { $ref: `#/channels/${id}` }, messages: [{ $ref: `#/channels/${id}/messages/${event.type}` }] };
  }

  for (const message of [...messages].sort((a, b) => a.subject.localeCompare(b.subject))) {
    const requestKey = `${message.subject}.request`;
    const replyKey = `${message.subject}.reply`;
    componentMessages[requestKey] = { name: requestKey, contentType: 'application/json', summary: message.description, payload: embeddedSchema(message.request, 'input', schemas, SCHEMAS) };
    componentMessages[replyKey] = { name: replyKey, contentType: 'application/json', summary: `Reply to ${message.subject}`, payload: embeddedSchema(message.reply, 'output', schemas, SCHEMAS) };
    channels[message.subject] = {
      address: message.subject,
      description: `${message.kind === 'command' ? 'Command' : 'Query'}: ${message.description}`,
      servers: [{ $ref: '#/servers/nats' }],
      messages: { request: { $ref: `#/components/messages/${requestKey}` } },
    };
    // No address: the reply goes to the requester's own inbox, known only at run time.
    channels[replyKey] = {
      description: 'The requester\'s inbox; a failure comes back as the services-API error headers with `{ code, message, details }`',
      servers: [{ $ref: '#/servers/nats' }],
      messages: { reply: { $ref: `#/components/messages/${replyKey}` } },
    };
    operations[message.subject] = {
      action: 'receive',
      title: `Answer ${message.subject}`,
      channel: { $ref: `#/channels/${message.subject}` },
      messages: [{ $ref: `#/channels/${message.subject}/messages/request` }],
      reply: { channel: { $ref: `#/channels/${replyKey}` }, messages: [{ $ref: `#/channels/${replyKey}/messages/reply` }] },
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Cadre events and messages',
      version: options.version,
      description: 'The live event stream of Cadre over SSE, the same events on NATS JetStream, and the commands and queries services answer over NATS.',
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    defaultContentType: 'application/json',
    servers: {
      gateway: {
        host: options.gatewayHost, protocol: 'http', description: 'The gateway (SSE)',
        security: [{ $ref: '#/components/securitySchemes/bearerAuth' }, { $ref: '#/components/securitySchemes/queryToken' }],
      },
      nats: {
        host: 'nats:4222', protocol: 'nats', description: 'The internal bus: JetStream stream EVENTS (subjects evt.>) and request/reply subjects',
        security: [{ $ref: '#/components/securitySchemes/natsCredentials' }],
      },
    },
    channels,
    operations,
    components: {
      messages: componentMessages,
      schemas,
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'An access token or API key' },
        queryToken: { type: 'httpApiKey', in: 'query', name: 'token', description: 'The same credential in the query, for EventSource' },
        natsCredentials: { type: 'userPassword', description: 'The NATS account of the deployment (NATS_URL); only services connect' },
      },
    },
  };
}
