import fc from 'fast-check';
import type { RouteDefinition } from '@cadre/proto';

/** One generated request: all of it may be wrong. */
export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer;
  readonly what: string;
}

/** Percent-encodes UTF-8 bytes (lone surrogates become U+FFFD, as any client would send them). */
const pct = (value: string): string => [...Buffer.from(value, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

const oddString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '../../etc/passwd', '\u0000', '%00', '\u202e\u200b', '🦄🧪'.repeat(200), 'a'.repeat(20_000), '1e309', '-0', 'null', '{}', '[]'),
  fc.integer().map(String),
);

const oddJson = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  oddString,
  fc.constant('x'.repeat(100_000)),
  fc.array(fc.constant([]), { maxLength: 5 }).map((a) => JSON.parse(`${'['.repeat(500)}${']'.repeat(500)}`) as unknown ?? a),
);

function fieldNames(schema: unknown): string[] {
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

/** Requests that are wrong in every way the gateway must survive: types, fields, sizes, JSON, content types, unicode. */
export function malformedRequests(route: RouteDefinition): fc.Arbitrary<FuzzRequest> {
  const method = route.method.toUpperCase();
  const pathArb = fc.tuple(...[...route.path.matchAll(/\{[^}]+\}/g)].map(() => oddString)).map((values) => {
    let i = 0;
    return route.path.replace(/\{[^}]+\}/g, () => pct(values[i++] ?? '') || 'x');
  });
  const queryNames = [...fieldNames(route.query), 'token', 'x'];
  const queryArb = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...queryNames), oddString), oddString), { maxLength: 4 })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')}`));
  const bodyFields = fieldNames(route.body);
  const json = (value: unknown) => ({ body: JSON.stringify(value) ?? 'null', type: 'application/json' });
  const bodyArb = fc.oneof(
    fc.record(Object.fromEntries(bodyFields.map((name) => [name, oddJson])), { requiredKeys: [] }).map((value) => ({ ...json(value), what: 'wrong types' })),
    oddJson.map((value) => ({ ...json(value), what: 'any JSON' })),
    fc.constant({ ...json({}), what: 'missing fields' }),
    fc.string({ maxLength: 60 }).map((text) => ({ body: `{${text}`, type: 'application/json', what: 'bad JSON' })),
    fc.tuple(fc.constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/octet-stream'), fc.string({ maxLength: 60 }))
      .map(([type, text]) => ({ body: text, type, what: `content type ${type}` })),
  );
  const lastEventId = fc.option(oddString.filter((s) => /^[\x20-\x7e]*$/.test(s)), { nil: undefined });
  return fc.record({ path: pathArb, query: queryArb, body: fc.option(bodyArb, { nil: undefined, freq: 4 }), lastEventId }).map(({ path, query, body, lastEventId: id }) => {
    const headers: Record<string, string> = {};
    if (body) headers['content-type'] = body.type;
    if (id !== undefined && route.stream) headers['last-event-id'] = id;
    const sendBody = body && method !== 'GET';
    return { method, path: `${path}${query}`, headers, ...(sendBody ? { body: body.body } : {}), what: body?.what ?? 'no body' };
  });
}

/** A body just over `limit` bytes of valid JSON. */
export function oversizeBody(limit: number): string {
  return JSON.stringify({ name: 'x'.repeat(limit + 16) });
}
