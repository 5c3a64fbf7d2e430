import type { z } from 'zod';
import { ValidationError, issuesToDetails } from './errors';

/**
 * A command (changes state) or query (reads a model) sent over NATS request/reply. The subject
 * is `<domain>.cmd.<action>` or `<domain>.qry.<name>`; request and reply have zod schemas, so a
 * client gets its types from the contract and never from an implementation.
 */
export interface MessageDefinition<TRequest extends z.ZodType = z.ZodType, TReply extends z.ZodType = z.ZodType> {
  readonly kind: 'command' | 'query';
  readonly domain: string;
  readonly name: string;
  readonly subject: string;
  readonly request: TRequest;
  readonly reply: TReply;
  readonly description: string;
}

const NAME = /^[a-z][a-z0-9_]*$/;

function define<TRequest extends z.ZodType, TReply extends z.ZodType>(
  kind: 'command' | 'query',
  spec: { domain: string; name: string; request: TRequest; reply: TReply; description: string },
): MessageDefinition<TRequest, TReply> {
  if (!NAME.test(spec.domain) || !NAME.test(spec.name)) throw new Error(`invalid ${kind} name ${spec.domain}.${spec.name}`);
  const subject = `${spec.domain}.${kind === 'command' ? 'cmd' : 'qry'}.${spec.name}`;
  return { kind, subject, ...spec };
}

export function defineCommand<TRequest extends z.ZodType, TReply extends z.ZodType>(spec: {
  domain: string; name: string; request: TRequest; reply: TReply; description: string;
}): MessageDefinition<TRequest, TReply> {
  return define('command', spec);
}

export function defineQuery<TRequest extends z.ZodType, TReply extends z.ZodType>(spec: {
  domain: string; name: string; request: TRequest; reply: TReply; description: string;
}): MessageDefinition<TRequest, TReply> {
  return define('query', spec);
}

/** Parses input against a schema, throwing a ValidationError that names each failing field. */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, what = 'request'): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(`${what} failed validation`, issuesToDetails(result.error.issues));
  return result.data;
}
