import type { Headers, RequestHandler } from '@cadre/bus';
import {
  CLIENT_ADDRESS_HEADER, ForbiddenError, PRINCIPAL_HEADER, Principal, REQUEST_ID_HEADER, UnauthenticatedError,
  parseOrThrow, type MessageDefinition,
} from '@cadre/proto';
import type { z } from 'zod';

/** Who is calling, as the gateway told the service in headers (never taken from the payload). */
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

/** Reads the caller from request headers; a malformed principal counts as none. */
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

/** Admin-only handlers check again behind the gateway: a request straight over the bus is not trusted. */
export function requireAdmin(call: Call): Principal {
  const principal = requirePrincipal(call);
  if (principal.role !== 'admin') throw new ForbiddenError('admin only');
  return principal;
}

/**
 * The user a call acts for: the signed-in user, or the owner of the API key. Undefined for the
 * engine credential and for calls with no principal — they own nothing.
 */
export function ownerOf(call: Call): string | undefined {
  return call.principal?.user_id;
}

/** True when the caller may see and act on what `owner` owns: its owner, or an admin (the engine credential acts as one). */
export function mayAccess(call: Call, owner: string | undefined): boolean {
  const principal = call.principal;
  if (principal === undefined) return false;
  if (principal.role === 'admin') return true;
  return owner !== undefined && principal.user_id === owner;
}

/**
 * The one ownership check of a handler: the caller owns the resource or is an admin; anyone
 * else gets the same `not found` as for a resource that does not exist, so nothing is revealed.
 */
export function requireAccess(call: Call, owner: string | undefined, notFound: () => Error): void {
  if (!mayAccess(call, owner)) throw notFound();
}

/** The user a call acts for; a credential of no user (the engine's) is refused with `why`. */
export function requireUser(call: Call, why = 'this credential owns nothing'): string {
  const principal = requirePrincipal(call);
  if (principal.user_id === undefined) throw new ForbiddenError(why);
  return principal.user_id;
}

/** A list query's owner filter: undefined for admins (everything), else the caller's own user id. */
export function ownerFilter(call: Call): { readonly all: true } | { readonly all: false; readonly owner: string } {
  if (requirePrincipal(call).role === 'admin') return { all: true };
  return { all: false, owner: requireUser(call) };
}

/** The actor of a call as written in events (`user:<id>` or `<kind>:<credential>`). */
export function actorOf(call: Call): string | undefined {
  const p = call.principal;
  if (p === undefined) return undefined;
  return p.user_id !== undefined ? `user:${p.user_id}` : `${p.kind}:${p.credential_id}`;
}

/** The user id of an actor as `actorOf` writes it (`user:<id>`); other actors (the engine, …) are no user. */
export function userOfActor(actor: string | undefined): string | undefined {
  return actor?.startsWith('user:') === true ? actor.slice('user:'.length) : undefined;
}

/** Event meta of a call: the request id correlates, the principal is the actor. */
export function metaOf(call: Call): { correlationId?: string; actor?: string } {
  const actor = actorOf(call);
  return { ...(call.requestId ? { correlationId: call.requestId } : {}), ...(actor !== undefined ? { actor } : {}) };
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
