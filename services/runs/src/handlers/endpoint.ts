import type { Headers, RequestHandler } from '@cadre/bus';
import type { NewEventMeta } from '@cadre/eventstore';
import { PRINCIPAL_HEADER, Principal, REQUEST_ID_HEADER, parseOrThrow, type MessageDefinition } from '@cadre/proto';
import type { z } from 'zod';

/** Who is calling, from the gateway's headers (never from the payload). */
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

function callOf(headers: Headers): Call {
  return { principal: parsePrincipal(headers[PRINCIPAL_HEADER]), requestId: headers[REQUEST_ID_HEADER] };
}

/** The actor of a call as written in events (`user:<id>` or `<kind>:<credential>`). */
export function actorOf(call: Call): string | undefined {
  const p = call.principal;
  if (p === undefined) return undefined;
  return p.user_id !== undefined ? `user:${p.user_id}` : `${p.kind}:${p.credential_id}`;
}

/** Event meta of a call: the request id correlates, the principal is the actor. */
export function metaOf(call: Call): NewEventMeta {
  const actor = actorOf(call);
  return { ...(call.requestId !== undefined ? { correlationId: call.requestId } : {}), ...(actor !== undefined ? { actor } : {}) };
}

/** A bus handler for a message definition: request parsed, reply parsed (unknown fields dropped). */
export function endpoint<D extends MessageDefinition>(
  definition: D,
  handle: (request: z.infer<D['request']>, call: Call) => Promise<z.input<D['reply']>>,
): readonly [string, RequestHandler] {
  return [definition.subject, async (payload, context) => {
    const request = parseOrThrow(definition.request, payload ?? {}) as z.infer<D['request']>;
    return definition.reply.parse(await handle(request, callOf(context.headers)));
  }];
}
