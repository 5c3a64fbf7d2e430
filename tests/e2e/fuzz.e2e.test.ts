import fc from 'fast-check';
import { PRINCIPAL_HEADER, ValidationError, allRoutes, toJsonSchema, type RouteDefinition } from '@cadre/proto';
import { createApiKey, setupAdmin } from '../support/auth';
import { malformedRequests, oversizeBody, type FuzzRequest } from '../support/fuzz';
import { call } from '../support/http';
import { registry as cadreRegistry } from '@cadre/cadre';
import { startSystem, TRANSPORTS, type System } from '../support/system';

const PER_ROUTE = 200;
const ADMIN_PRINCIPAL = { kind: 'service', role: 'admin', credential_id: 'fuzz' } as const;

/** The top-level fields of a route's body that take a string (alone or among other types). */
function stringFieldsOf(route: RouteDefinition): string[] {
  const schema = toJsonSchema(route.body!, 'input') as { properties?: Record<string, unknown> };
  const takesString = (node: unknown): boolean => {
    if (typeof node !== 'object' || node === null) return false;
    const n = node as { type?: unknown; anyOf?: unknown[]; oneOf?: unknown[] };
    if (n.type === 'string' || (Array.isArray(n.type) && n.type.includes('string'))) return true;
    return [...(n.anyOf ?? []), ...(n.oneOf ?? [])].some(takesString);
  };
  return Object.entries(schema.properties ?? {}).filter(([, node]) => takesString(node)).map(([name]) => name);
}
const CONCURRENCY = 16;
const BODY_LIMIT = 64 * 1024;

interface Outcome {
  readonly request: FuzzRequest;
  readonly status: number;
  readonly body: string;
}

/**
 * Sends one request. A server that answers early (431, 413) and closes may reset a connection the
 * client is still writing to — a race of HTTP itself, not an answer: such a request is sent once
 * more on a fresh connection, and a second reset fails the test.
 */
async function send(baseUrl: string, token: string, request: FuzzRequest): Promise<Outcome> {
  try {
    return await sendOnce(baseUrl, token, request);
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw error;
    return sendOnce(baseUrl, token, request);
  }
}

async function sendOnce(baseUrl: string, token: string, request: FuzzRequest): Promise<Outcome> {
  const abort = new AbortController();
  const res = await fetch(new URL(request.path, baseUrl), {
    method: request.method,
    headers: { ...request.headers, authorization: `Bearer ${token}` },
    ...(request.body !== undefined ? { body: request.body } : {}),
    signal: abort.signal,
  });
  // A well-formed stream request stays open: the status is all we need from it.
  const body = (res.headers.get('content-type') ?? '').startsWith('text/event-stream') ? '' : await res.text();
  abort.abort();
  return { request, status: res.status, body };
}

async function inParallel<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      results.push(await run(item));
    }
  }));
  return results;
}

describe.each(TRANSPORTS)('malformed requests on the %s system', (transport) => {
  let system: System;
  let key: string;
  beforeAll(async () => {
    // Every service of the registry: each of their routes is fuzzed.
    system = await startSystem({ transport, env: { BODY_LIMIT: String(BODY_LIMIT) }, registry: cadreRegistry });
    const admin = await setupAdmin(system.baseUrl);
    // An API key, so that fuzzing logout cannot end the session the test runs on.
    key = (await createApiKey(system.baseUrl, admin.access_token)).key;
  });
  afterAll(() => system.stop());

  it(`never gets a 5xx from ${PER_ROUTE} generated requests per route, and every error uses the one envelope`, async () => {
    // Routes of services this system does not run would only show that nobody answers (503).
    const served = allRoutes.filter((route) => (route.message ? system.domains.includes(route.message.domain) : !system.gateway.unhandled.includes(route.operationId)));
    const skipped = allRoutes.filter((route) => !served.includes(route)).map((route) => route.operationId);
    if (skipped.length > 0) console.log(`${transport}: ${skipped.length} routes skipped, not served by startSystem yet: ${skipped.join(', ')}`);
    const requests = served.flatMap((route) => [
      ...fc.sample(malformedRequests(route), { numRuns: PER_ROUTE, seed: 20251123 }),
      ...(route.body ? [{ method: route.method.toUpperCase(), path: route.path.replace(/\{[^}]+\}/g, 'x'), headers: { 'content-type': 'application/json' }, body: oversizeBody(BODY_LIMIT), what: 'oversize' }] : []),
    ]);
    const outcomes = await inParallel(requests, CONCURRENCY, (request) => send(system.baseUrl, key, request));
    const failures = outcomes.filter((o) => o.status >= 500).map((o) => ({ ...o.request, body: undefined, status: o.status, reply: o.body.slice(0, 200) }));
    expect(failures).toEqual([]);
    const badEnvelopes = outcomes.filter((o) => o.status >= 400).filter((o) => {
      try {
        const parsed = JSON.parse(o.body) as { error?: unknown; code?: unknown };
        return typeof parsed.error !== 'string' || typeof parsed.code !== 'string';
      } catch {
        return true;
      }
    });
    expect(badEnvelopes.map((o) => `${o.request.method} ${o.request.path.slice(0, 80)} ${o.status} ${o.body.slice(0, 80)}`)).toEqual([]);
    expect(outcomes.filter((o) => o.request.what === 'oversize').every((o) => o.status === 413)).toBe(true);
    const statuses = new Map<number, number>();
    for (const o of outcomes) statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
    console.log(`${transport}: ${outcomes.length} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  });

  it('answers 400 naming the field for a lone surrogate in every string field of every body, over HTTP and on the bus', async () => {
    const served = allRoutes.filter((route) => route.message && route.body && system.domains.includes(route.message.domain));
    const cases = served.flatMap((route) => stringFieldsOf(route).map((field) => ({ route, field })));
    expect(cases.length).toBeGreaterThan(30);
    const wrong: string[] = [];
    await inParallel(cases, CONCURRENCY, async ({ route, field }) => {
      const body = JSON.stringify({ [field]: 'text \ud800 with half a pair' });
      const path = route.path.replace(/\{[^}]+\}/g, 'x');
      const outcome = await send(system.baseUrl, key, { method: route.method.toUpperCase(), path, headers: { 'content-type': 'application/json' }, body, what: 'surrogate' });
      if (outcome.status !== 400 || !outcome.body.includes(`"body.${field}"`) || !outcome.body.includes('valid Unicode')) {
        wrong.push(`HTTP ${route.operationId}.${field}: ${outcome.status} ${outcome.body.slice(0, 160)}`);
      }
      // Straight to the service, past the gateway: the contract refuses it too.
      const error = await system.bus.request(route.message!.subject, { [field]: 'text \udc00 alone' }, { headers: { [PRINCIPAL_HEADER]: JSON.stringify(ADMIN_PRINCIPAL) } })
        .catch((e: unknown) => e);
      const named = error instanceof ValidationError && JSON.stringify(error.details).includes(`"${field}"`) && error.message.includes('valid Unicode');
      if (!named) wrong.push(`bus ${route.message!.subject}.${field}: ${String(error)}`);
    });
    expect(wrong).toEqual([]);
  });

  it('still answers afterwards', async () => {
    expect((await call(system.baseUrl, 'GET', '/v1/health')).status).toBe(200);
    expect((await call(system.baseUrl, 'GET', '/v1/ready')).status).toBe(200);
    expect((await call(system.baseUrl, 'GET', '/v1/auth/me', { token: key })).status).toBe(200);
  });
});
