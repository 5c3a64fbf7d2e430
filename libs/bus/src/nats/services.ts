import type { Msg } from '@nats-io/nats-core';
import { Svcm, type Service, type ServiceMsg } from '@nats-io/services';
import { assertName, assertSubject, assertSubjectFilter, toCadreError, CadreError, ValidationError } from '@cadre/proto';
import { decodeJson, encodeJson } from '../codec';
import { injectTraceContext, withTraceContext } from '../trace';
import type { RequestHandler, RequestOptions, ServiceDefinition, ServiceHandle } from '../types';
import type { Connection } from './connection';
import { errorFromReply, mapNatsError } from './errors';
import { fromNatsHeaders, toNatsHeaders } from './headers';
import { inFlight } from './inflight';
import type { BusLogger } from '../logger';

const DEFAULT_TIMEOUT_MS = 5_000;

/** Starts a service on the NATS services API, so `$SRV.PING/INFO/STATS` discover it. */
export async function serveService(conn: Connection, definition: ServiceDefinition, logger: BusLogger): Promise<ServiceHandle> {
  assertName('service', definition.name);
  const queue = definition.queue ?? 'q';
  assertName('queue', queue);
  const subjects = Object.keys(definition.endpoints);
  if (subjects.length === 0) throw new ValidationError(`service "${definition.name}" has no endpoints`);
  subjects.forEach(assertSubjectFilter);
  conn.assertConnected(`serve ${definition.name}`);

  let service: Service;
  try {
    // @nats-io/services pins its own prerelease of nats-core; the connection types differ only nominally.
    service = await new Svcm(conn.nc as unknown as ConstructorParameters<typeof Svcm>[0]).add({
      name: definition.name,
      version: definition.version,
      description: definition.description ?? '',
      queue,
    });
  } catch (error) {
    // The services API rejects a version that is not semver, among other things.
    throw error instanceof Error && /semver|name/i.test(error.message)
      ? new ValidationError(`invalid service definition: ${error.message}`)
      : mapNatsError(error, `serve ${definition.name}`);
  }
  const running = inFlight();
  const log = { service: definition.name };
  const names = new Set<string>();
  for (const [subject, handler] of Object.entries(definition.endpoints)) {
    service.addEndpoint(endpointName(subject, names), {
      subject,
      handler: (error, msg) => {
        if (error) {
          logger.error({ ...log, err: error }, 'service endpoint failed');
          return;
        }
        void running.run(() => answer(msg, handler, logger));
      },
    });
  }
  // Once the server has our subscriptions, a request from any other client finds them.
  try {
    await conn.guard(conn.nc.flush(), `serve ${definition.name}`);
  } catch (error) {
    await service.stop().catch(() => undefined);
    throw mapNatsError(error, `serve ${definition.name}`);
  }
  logger.info({ ...log, subjects }, 'service started');

  let stopping: Promise<void> | undefined;
  return {
    name: definition.name,
    stop: () =>
      (stopping ??= (async () => {
        // Draining the subscriptions hands every received request to its handler first.
        await service.stop();
        await running.idle();
      })()),
  };
}

/** Endpoint names must be unique tokens of letters, digits, `-` and `_`. */
function endpointName(subject: string, taken: Set<string>): string {
  const base = subject.replace(/[^A-Za-z0-9_-]/g, '_') || 'endpoint';
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

async function answer(msg: ServiceMsg, handler: RequestHandler, logger: BusLogger): Promise<void> {
  const headers = fromNatsHeaders(msg.headers);
  try {
    const payload = decodeJson(msg.data);
    const result = await withTraceContext(headers, () => handler(payload, { subject: msg.subject, headers }));
    msg.respond(encodeJson(result));
  } catch (thrown) {
    const error = toCadreError(thrown);
    if (!(thrown instanceof CadreError)) logger.error({ subject: msg.subject, err: thrown }, 'request handler failed');
    respondWithError(msg, error, logger);
  }
}

function respondWithError(msg: ServiceMsg, error: CadreError, logger: BusLogger): void {
  // Header values may not span lines; the full message travels in the JSON body.
  const description = error.message.replace(/[\r\n]+/g, ' ').slice(0, 512);
  try {
    msg.respondError(error.status, description, encodeJson(error.toBody()));
  } catch (failure) {
    // Details that do not serialise (or overflow the payload limit) must not stop the reply.
    logger.warn({ subject: msg.subject, err: failure }, 'error reply fell back to code and message');
    msg.respondError(error.status, description, encodeJson({ ...error.toBody(), details: undefined }));
  }
}

/** Sends a request and returns the decoded reply, or throws the CadreError the reply carries. */
export async function sendRequest<T>(conn: Connection, subject: string, payload: unknown, options: RequestOptions = {}): Promise<T> {
  assertSubject(subject);
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeout > 0)) throw new ValidationError('timeoutMs must be positive', { timeoutMs: timeout });
  const data = encodeJson(payload);
  const headers = toNatsHeaders(injectTraceContext(options.headers));
  const what = `request ${subject}`;
  conn.assertConnected(what);
  let reply: Msg;
  try {
    reply = await conn.guard(conn.replies.request(subject, data, { timeoutMs: timeout, headers, what }), what);
  } catch (error) {
    throw mapNatsError(error, what);
  }
  const failure = errorFromReply(reply);
  if (failure) throw failure;
  try {
    return decodeJson<T>(reply.data);
  } catch {
    throw new CadreError('internal', `reply to ${subject} is not valid JSON`);
  }
}
