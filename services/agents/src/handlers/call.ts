import type { Headers, RequestHandler } from '@cadre/bus';
import type { NewEventMeta } from '@cadre/eventstore';
import { ForbiddenError, UnauthenticatedError, PRINCIPAL_HEADER, Principal, REQUEST_ID_HEADER, parseOrThrow, type MessageDefinition } from '@cadre/proto';
import type { z } from 'zod';

/** Who is calling, as the gateway told us in headers (never taken from the payload). */
export interface Call {
  readonly principal: Principal | undefined;
  readonly requestId: string | undefined;
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
  return { principal: parsePrincipal(headers[PRINCIPAL_HEADER]), requestId: headers[REQUEST_ID_HEADER] };
}

/**
 * Admin-only endpoints check again behind the gateway: a request arriving straight over the bus
 * without an admin principal must not change providers or read plaintext keys.
 */
export function requireAdmin(call: Call): void {
  if (!call.principal) throw new UnauthenticatedError('authentication required');
  if (call.principal.role !== 'admin') throw new ForbiddenError('admin only');
}

/** Event meta of a call: the request id correlates, the principal is the actor. */
export function metaOf(call: Call): NewEventMeta {
  const p = call.principal;
  return {
    ...(call.requestId ? { correlationId: call.requestId } : {}),
    ...(p ? { actor: p.user_id ? `user:${p.user_id}` : `${p.kind}:${p.credential_id}` } : {}),
  };
}

/** A bus handler for a message definition: request parsed with its schema, reply with the reply schema. */
export function endpoint<D extends MessageDefinition>(
  definition: D,
  handle: (request: z.infer<D['request']>, call: Call) => Promise<z.input<D['reply']>>,
): readonly [string, RequestHandler] {
  return [definition.subject, async (payload, context) => {
    const request = parseOrThrow(definition.request, payload ?? {}) as z.infer<D['request']>;
    return definition.reply.parse(await handle(request, callOf(context.headers)));
  }];
}
