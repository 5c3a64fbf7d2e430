import { CadreError, TimeoutError, UnavailableError, ValidationError, assertName, assertSubject, assertSubjectFilter } from '@cadre/proto';
import { decodeJson, encodeJson } from '../codec';
import { withTraceContext } from '../trace';
import type { Headers, RequestOptions, ServiceDefinition, ServiceHandle } from '../types';
import { outgoingHeaders } from './headers';
import type { BusLogger } from '../logger';
import type { Endpoint, RpcRegistry, WireReply } from './rpc-registry';

const DEFAULT_TIMEOUT_MS = 5_000;

/** Registers a service's endpoints in the shared registry; `stop` unregisters and waits for requests in flight. */
export function serveService(registry: RpcRegistry, definition: ServiceDefinition, logger: BusLogger): ServiceHandle {
  assertName('service', definition.name);
  const queue = definition.queue ?? 'q';
  assertName('queue', queue);
  const inFlight = new Set<Promise<WireReply>>();
  const endpoints: Endpoint[] = Object.entries(definition.endpoints).map(([subject, handler]) => {
    assertSubjectFilter(subject);
    if (typeof handler !== 'function') throw new ValidationError(`endpoint "${subject}" has no handler`);
    return {
      subject,
      queue,
      invoke: (actual, data, headers) => {
        const call = answer(actual, data, headers, handler, definition.name, logger);
        inFlight.add(call);
        void call.finally(() => inFlight.delete(call));
        return call;
      },
    };
  });
  registry.add(endpoints);
  let stopping: Promise<void> | undefined;
  return {
    name: definition.name,
    stop: () =>
      (stopping ??= (async () => {
        registry.remove(endpoints);
        await Promise.allSettled([...inFlight]);
      })()),
  };
}

async function answer(
  subject: string,
  data: Uint8Array,
  headers: Headers,
  handler: ServiceDefinition['endpoints'][string],
  service: string,
  logger: BusLogger,
): Promise<WireReply> {
  // Never run the handler in the caller's tick: a reply is always asynchronous, as over a wire.
  await Promise.resolve();
  try {
    const payload = decodeJson(data);
    const result = await withTraceContext(headers, () => handler(payload, { subject, headers }));
    try {
      return { ok: true, data: encodeJson(result) };
    } catch (error) {
      logger.error({ err: error, service, subject }, 'embedded bus: reply is not JSON');
      return errorReply(new CadreError('internal', 'internal error'));
    }
  } catch (error) {
    if (error instanceof CadreError) return errorReply(error);
    logger.error({ err: error, service, subject }, 'embedded bus: handler failed');
    return errorReply(new CadreError('internal', 'internal error'));
  }
}

function errorReply(error: CadreError): WireReply {
  try {
    return { ok: false, error: encodeJson(error.toBody()) };
  } catch {
    // Details that are not JSON do not travel; the code, kind and message still do.
    return { ok: false, error: encodeJson({ ...error.toBody(), details: undefined }) };
  }
}

/** Sends a request through the registry: JSON on the way in and out, typed errors back, bounded by a timeout. */
export async function sendRequest<T>(registry: RpcRegistry, subject: string, payload: unknown, options: RequestOptions = {}): Promise<T> {
  assertSubject(subject);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ValidationError('timeoutMs must be a positive number');
  const data = encodeJson(payload);
  const headers = outgoingHeaders(options.headers);
  const endpoint = registry.pick(subject);
  if (!endpoint) throw new UnavailableError(`no responders for "${subject}"`, { subject });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`request "${subject}" timed out after ${timeoutMs} ms`, { subject })), timeoutMs);
  });
  try {
    const reply = await Promise.race([endpoint.invoke(subject, data, headers), timeout]);
    if (!reply.ok) throw CadreError.fromBody(decodeJson<Record<string, unknown>>(reply.error) ?? {});
    return decodeJson<T>(reply.data);
  } finally {
    clearTimeout(timer);
  }
}
