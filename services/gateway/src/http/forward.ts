import type { Request } from 'express';
import type { Bus } from '@cadre/bus';
import { CLIENT_ADDRESS_HEADER, PRINCIPAL_HEADER, REQUEST_ID_HEADER, type Principal, type RouteDefinition } from '@cadre/proto';
import { call } from '@cadre/runtime';

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
  return headers;
}

/**
 * Sends the route's command or query and returns the reply, both checked against the message's
 * contract; a CadreError when the service refuses or nobody answers.
 */
export function forward(bus: Bus, route: RouteDefinition, payload: unknown, req: Request, context: ForwardContext): Promise<unknown> {
  const message = route.message;
  if (!message) throw new Error(`route ${route.operationId} has no message to forward`);
  return call(bus, message, payload, { timeoutMs: context.timeoutMs, headers: serviceHeaders(req, context) });
}
