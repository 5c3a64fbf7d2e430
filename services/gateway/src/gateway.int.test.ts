import { z } from 'zod';
import { ConflictError, NotFoundError, defineCommand, defineQuery, defineRoute } from '@cadre/proto';
import { startGatewayHarness, type GatewayHarness } from '../test-support/harness';

const Item = z.object({ id: z.string(), name: z.string(), count: z.number().int() });
const create = defineCommand({
  domain: 'test', name: 'create', description: 'Create an item',
  request: z.object({ name: z.string().min(1).max(50), count: z.number().int().nonnegative() }), reply: Item,
});
const get = defineQuery({ domain: 'test', name: 'get', description: 'Get an item', request: z.object({ id: z.string(), verbose: z.string().optional() }), reply: Item });
const remove = defineCommand({ domain: 'test', name: 'remove', description: 'Remove an item', request: z.object({ id: z.string() }), reply: z.object({}) });
const slow = defineQuery({ domain: 'test', name: 'slow', description: 'Never answers in time', request: z.object({}), reply: z.object({}) });
const nobody = defineQuery({ domain: 'test', name: 'nobody', description: 'Served by no one', request: z.object({}), reply: z.object({}) });
const broken = defineQuery({ domain: 'test', name: 'broken', description: 'Fails unexpectedly', request: z.object({}), reply: z.object({}) });
const clash = defineCommand({ domain: 'test', name: 'clash', description: 'Conflicts', request: z.object({}), reply: z.object({}) });

const routes = [
  defineRoute({ method: 'post', path: '/v1/test/items', operationId: 'createItem', summary: 'Create', tags: ['test'], access: 'user', body: create.request, response: Item, successStatus: 201, message: create }),
  defineRoute({ method: 'get', path: '/v1/test/items/{id}', operationId: 'getItem', summary: 'Get', tags: ['test'], access: 'user', params: z.object({ id: z.string().min(3) }), query: z.object({ verbose: z.enum(['yes', 'no']).optional() }), response: Item, successStatus: 200, message: get }),
  defineRoute({ method: 'delete', path: '/v1/test/items/{id}', operationId: 'removeItem', summary: 'Remove', tags: ['test'], access: 'admin', params: z.object({ id: z.string() }), successStatus: 204, message: remove }),
  defineRoute({ method: 'get', path: '/v1/test/slow', operationId: 'slow', summary: 'Slow', tags: ['test'], access: 'user', successStatus: 200, message: slow }),
  defineRoute({ method: 'get', path: '/v1/test/nobody', operationId: 'nobody', summary: 'Nobody', tags: ['test'], access: 'user', successStatus: 200, message: nobody }),
  defineRoute({ method: 'get', path: '/v1/test/broken', operationId: 'broken', summary: 'Broken', tags: ['test'], access: 'user', successStatus: 200, message: broken }),
  defineRoute({ method: 'post', path: '/v1/test/clash', operationId: 'clash', summary: 'Clash', tags: ['test'], access: 'user', successStatus: 200, message: clash }),
];

describe.each(['embedded', 'nats'] as const)('gateway routing on the %s bus', (transport) => {
  let harness: GatewayHarness;
  const seen: Array<{ payload: unknown; headers: Record<string, string> }> = [];

  beforeAll(async () => {
    harness = await startGatewayHarness({
      transport,
      routes,
      env: { BUS_TIMEOUT_MS: '300', BODY_LIMIT: '4kb' },
      handlers: {
        [create.subject]: (payload, context) => {
          seen.push({ payload, headers: { ...context.headers } });
          const { name, count } = payload as { name: string; count: number };
          return { id: 'it-1', name, count };
        },
        [get.subject]: (payload) => {
          const { id } = payload as { id: string };
          if (id === 'missing') throw new NotFoundError('No such item');
          return { id, name: 'n', count: 1 };
        },
        [remove.subject]: () => ({}),
        [slow.subject]: () => new Promise((resolve) => setTimeout(() => resolve({}), 2000)),
        [broken.subject]: () => {
          throw new Error('connection to db.internal:5432 refused');
        },
        [clash.subject]: () => {
          throw new ConflictError('Already there');
        },
      },
    });
  });
  afterAll(() => harness.stop());

  const call = (path: string, init: RequestInit = {}) => fetch(`${harness.baseUrl}${path}`, init);
  const post = (path: string, body: string, type = 'application/json') => call(path, { method: 'POST', body, headers: { 'content-type': type } });

  it('turns a request into its command with params, query and body merged, and answers 201', async () => {
    const res = await post('/v1/test/items', JSON.stringify({ name: 'a', count: 2, extra: 'dropped' }));
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: 'it-1', name: 'a', count: 2 });
    const last = seen.at(-1)!;
    expect(last.payload).toEqual({ name: 'a', count: 2 });
    expect(JSON.parse(last.headers['cadre-principal']!)).toMatchObject({ role: 'admin' });
    expect(last.headers['cadre-request-id']).toBe(res.headers.get('x-request-id'));
  });

  it('answers 204 with no body and maps service errors to their status', async () => {
    const removed = await call('/v1/test/items/abc', { method: 'DELETE' });
    expect(removed.status).toBe(204);
    expect(await removed.text()).toBe('');
    const missing = await call('/v1/test/items/missing');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'No such item', code: 'not_found' });
    const conflict = await call('/v1/test/clash', { method: 'POST' });
    expect(conflict.status).toBe(409);
  });

  it('rejects invalid input with 400 naming every field, before any service sees it', async () => {
    const before = seen.length;
    const res = await post('/v1/test/items', JSON.stringify({ name: '', count: 'x' }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; details: Array<{ path: string }> };
    expect(body.error).toBe('Validation failed');
    expect(body.details.map((d) => d.path).sort()).toEqual(['body.count', 'body.name']);
    const query = await call('/v1/test/items/ab?verbose=maybe');
    expect(((await query.json()) as { details: Array<{ path: string }> }).details.map((d) => d.path).sort()).toEqual(['params.id', 'query.verbose']);
    expect(seen.length).toBe(before);
  });

  it('answers 400 for malformed JSON, 415 for another content type, 413 over the body limit', async () => {
    expect((await post('/v1/test/items', '{"name": ')).status).toBe(400);
    expect((await post('/v1/test/items', 'name=a', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await post('/v1/test/items', JSON.stringify({ name: 'x'.repeat(5000), count: 1 }))).status).toBe(413);
    const missingBody = await call('/v1/test/items', { method: 'POST' });
    expect(missingBody.status).toBe(400);
  });

  it('answers 503 within a bounded time when nobody serves the subject or the reply is late', async () => {
    const started = Date.now();
    const [nobodyRes, slowRes] = await Promise.all([call('/v1/test/nobody'), call('/v1/test/slow')]);
    expect(nobodyRes.status).toBe(503);
    expect(slowRes.status).toBe(503);
    expect(slowRes.headers.get('retry-after')).toBe('1');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('never shows the cause of an internal failure', async () => {
    const res = await call('/v1/test/broken');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: 'Internal error', code: 'internal' });
    expect(text).not.toMatch(/db\.internal|Error:|at /);
  });

  it('answers unknown routes with a JSON 404 and echoes a sanitized request id', async () => {
    const res = await call('/v1/nothing/here', { headers: { 'x-request-id': 'abc-123 <script>;' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Not found', code: 'not_found' });
    expect(res.headers.get('x-request-id')).toBe('abc-123script');
    expect(res.headers.get('x-api-version')).toBe('1');
    const generated = await call('/v1/health');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves health, and readiness that names what does not answer', async () => {
    expect(await (await call('/v1/health')).json()).toEqual({ status: 'ok' });
    const ready = await call('/v1/ready');
    // No identity service in this harness.
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ code: 'unavailable', details: { checks: { bus: true, identity: false } } });
  });
});
