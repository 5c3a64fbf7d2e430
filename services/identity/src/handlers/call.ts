import type { Headers, RequestHandler } from '@cadre/bus';
import type { NewEventMeta } from '@cadre/eventstore';
import {
  CLIENT_ADDRESS_HEADER, ForbiddenError, PRINCIPAL_HEADER, Principal, REQUEST_ID_HEADER, UnauthenticatedError,
  parseOrThrow, type MessageDefinition,
} from '@cadre/proto';
import type { z } from 'zod';

/** Who is calling, as the gateway told us in headers (never taken from the payload). */
export interface Call {
  readonly principal: Principal | undefined;
  readonly requestId: string | undefined;
  readonly clientAddress: string | undefined;
}

function parsePrincipal(raw: string | undefined): Principal | undefined {
  if (raw === undefined) return undefined;
  try {
    const parsed = Principal.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function callOf(headers: Headers): Call {
  const address = headers[CLIENT_ADDRESS_HEADER];
  return {
    principal: parsePrincipal(headers[PRINCIPAL_HEADER]),
    requestId: headers[REQUEST_ID_HEADER],
    clientAddress: address && address.length <= 100 ? address : undefined,
  };
}

export function requirePrincipal(call: Call): Principal {
  if (!call.principal) throw new UnauthenticatedError('authentication required');
  return call.principal;
}

export function requireAdmin(call: Call): Principal {
  const principal = requirePrincipal(call);
  if (principal.role !== 'admin') throw new ForbiddenError('admin only');
  return principal;
}

/** A signed-in user (access token): credential changes need one, not an API key or the engine. */
export function requireSessionUser(call: Call): { readonly userId: string; readonly sessionId: string } {
  const principal = requirePrincipal(call);
  if (principal.kind !== 'user' || principal.user_id === undefined) throw new ForbiddenError('needs a signed-in user (not an API key or service credential)');
  return { userId: principal.user_id, sessionId: principal.credential_id };
}

/** Event meta of a call: the request id correlates, the principal is the actor. */
export function metaOf(call: Call): NewEventMeta {
  const p = call.principal;
  return {
    ...(call.requestId ? { correlationId: call.requestId } : {}),
    ...(p ? { actor: p.user_id ? `user:${p.user_id}` : `${p.kind}:${p.credential_id}` } : {}),
  };
}

/**
 * A bus handler for a message definition: the payload is parsed with the request schema and
 * the reply with the reply schema, which also strips any field the contract does not name.
 */
export function endpoint<D extends MessageDefinition>(
  definition: D,
  handle: (request: z.infer<D['request']>, call: Call) => Promise<z.input<D['reply']>>,
): readonly [string, RequestHandler] {
  return [definition.subject, async (payload, context) => {
    const request = parseOrThrow(definition.request, payload ?? {}) as z.infer<D['request']>;
    return definition.reply.parse(await handle(request, callOf(context.headers)));
  }];
}
