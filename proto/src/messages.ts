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

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The paths of strings (values and keys) in `input` that are not well-formed Unicode: a lone
 * UTF-16 surrogate is valid in a JS string and in JSON text, but not in Postgres' text and
 * jsonb, nor in UTF-8. At most `limit` paths.
 */
export function malformedStrings(input: unknown, limit = 10): string[] {
  const found: string[] = [];
  const visit = (value: unknown, path: string): void => {
    if (found.length >= limit) return;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) found.push(path);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, path ? `${path}.${i}` : String(i)));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const at = path ? `${path}.${key}` : key;
        if (LONE_SURROGATE.test(key)) found.push(at);
        visit(item, at);
      }
    }
  };
  visit(input, '');
  return found;
}

/**
 * Parses input against a schema, throwing a ValidationError that names each failing field.
 * Every string of every contract must be well-formed Unicode, whatever its schema says.
 */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, what = 'request'): z.infer<T> {
  const malformed = malformedStrings(input);
  if (malformed.length > 0) {
    throw new ValidationError(`${what} failed validation: text must be valid Unicode (a lone UTF-16 surrogate is not)`,
      malformed.map((path) => ({ path, message: 'must be valid Unicode (no lone surrogate)' })));
  }
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(`${what} failed validation`, issuesToDetails(result.error.issues));
  return result.data;
}
