import type { Request } from 'express';
import type { z } from 'zod';
import { ValidationError, type RouteDefinition } from '@cadre/proto';
import { inputProblems } from './guard';

export interface ValidatedInput {
  readonly params: Record<string, unknown>;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
}

interface Detail {
  readonly path: string;
  readonly message: string;
}

function check(schema: z.ZodType | undefined, input: unknown, where: string, details: Detail[]): unknown {
  if (schema === undefined) return undefined;
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    details.push({ path: [where, ...issue.path.map(String)].join('.'), message: issue.message });
  }
  return undefined;
}

/**
 * Checks params, query and body against the route's contract, reporting every failing field
 * at once (`body.email`, `query.limit`, `params.id`). What comes back is the parsed input:
 * unknown query keys (the `token` of a stream) are dropped, never forwarded.
 */
export function validateRequest(route: RouteDefinition, req: Request): ValidatedInput {
  const details: Detail[] = [
    ...inputProblems(req.params, 'params'),
    ...inputProblems(req.query, 'query'),
    ...(route.body ? inputProblems(req.body, 'body') : []),
  ];
  // Guard problems first: a schema would only add noise about the same values.
  if (details.length > 0) throw new ValidationError('Validation failed', details);
  const params = check(route.params, { ...req.params }, 'params', details);
  const query = check(route.query, { ...(req.query as Record<string, unknown>) }, 'query', details);
  // No body at all (`curl -X POST …/cancel`) is an empty object: a body whose fields are all
  // optional needs none, and one with required fields names them.
  const body = check(route.body, req.body === undefined ? {} : req.body, 'body', details);
  if (details.length > 0) throw new ValidationError('Validation failed', details);
  return {
    params: (params ?? {}) as Record<string, unknown>,
    query: (query ?? {}) as Record<string, unknown>,
    body,
  };
}

/** The payload of the route's NATS message: `{ ...params, ...query, ...body }` (agreed with the services). */
export function messagePayload(input: ValidatedInput): Record<string, unknown> {
  const body = input.body;
  const fromBody = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : body === undefined ? {} : { body };
  return { ...input.params, ...input.query, ...fromBody };
}
