import type { Request } from 'express';
import type { Bus } from '@cadre/bus';
import {
  CLIENT_ADDRESS_HEADER, IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_HEADER, PRINCIPAL_HEADER, REQUEST_ID_HEADER, ValidationError, type Principal, type RouteDefinition,
} from '@cadre/proto';

export interface ForwardContext {
  readonly requestId: string;
  readonly principal: Principal | undefined;
  readonly timeoutMs: number;
}

/** The headers a service sees: who calls, which request, from where. Trace context is added by the bus. */
export function serviceHeaders(req: Request, context: ForwardContext): Record<string, string> {
  const headers: Record<string, string> = { [REQUEST_ID_HEADER]: context.requestId };
  if (context.principal) headers[PRINCIPAL_HEADER] = JSON.stringify(context.principal);
  const address = req.ip ?? req.socket.remoteAddress;
  if (address) headers[CLIENT_ADDRESS_HEADER] = address;
  // An Idempotency-Key is handed on to the service (which may honour it); a malformed one is a 400.
  const idempotencyKey = req.get('idempotency-key');
  if (idempotencyKey !== undefined) {
    if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new ValidationError('invalid Idempotency-Key', [{ path: 'headers.idempotency-key', message: 'expected 1 to 255 visible ASCII characters' }]);
    }
    headers[IDEMPOTENCY_KEY_HEADER] = idempotencyKey;
  }
  return headers;
}

/**
 * Sends the route's command or query and returns the reply; a CadreError when the service
 * refuses or nobody answers. Not through `call`: the payload is the route's input, already
 * validated against the contract here, and the service's `endpoint` parses both the request and
 * its reply — a third and fourth parse on every request cost the gateway ~10 % of its throughput
 * at 16 clients (A/B in docs/benchmarks.md).
 */
export function forward(bus: Bus, route: RouteDefinition, payload: unknown, req: Request, context: ForwardContext): Promise<unknown> {
  const message = route.message;
  if (!message) throw new Error(`route ${route.operationId} has no message to forward`);
  return bus.request(message.subject, payload, { timeoutMs: context.timeoutMs, headers: serviceHeaders(req, context) });
}
