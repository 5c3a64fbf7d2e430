import type { Bus, RequestOptions } from '@cadre/bus';
import { CadreError, issuesToDetails, parseOrThrow, type MessageDefinition } from '@cadre/proto';
import type { z } from 'zod';

/**
 * Sends a command or query of the contract and returns its reply, both checked against the
 * definition. A request that does not match is a ValidationError naming each field, and nothing
 * is sent; what is sent is the parsed request (unknown fields dropped, defaults filled in). A
 * reply that does not match is an `internal` error naming the subject. Errors of the far side
 * come back as the CadreError they were thrown as (a bus failure: unavailable or timeout).
 */
export async function call<D extends MessageDefinition>(
  bus: Bus,
  definition: D,
  request: z.input<D['request']>,
  options: RequestOptions = {},
): Promise<z.infer<D['reply']>> {
  const payload: unknown = parseOrThrow(definition.request, request);
  const reply = await bus.request(definition.subject, payload, options);
  const parsed = definition.reply.safeParse(reply);
  if (!parsed.success) {
    throw new CadreError('internal', `reply of ${definition.subject} does not match its contract`, {
      subject: definition.subject, issues: issuesToDetails(parsed.error.issues),
    });
  }
  return parsed.data as z.infer<D['reply']>;
}
