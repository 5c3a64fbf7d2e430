import { allRoutes } from '@cadre/proto';
import { createApiKey, createMember, setupAdmin } from '../support/auth';
import { call, type Reply } from '../support/http';
import { startSystem, TRANSPORTS, type System } from '../support/system';

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly security: readonly unknown[];
  readonly hasBody: boolean;
}

/** Every operation of the served OpenAPI document, with `{params}` filled in. */
async function operations(baseUrl: string): Promise<Operation[]> {
  const doc = (await call<{ paths: Record<string, Record<string, { security?: unknown[]; requestBody?: unknown }>> }>(baseUrl, 'GET', '/v1/openapi.json')).body;
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path: path.replace(/\{[^}]+\}/g, 'some-id'),
      security: op.security ?? [{ default: [] }],
      hasBody: op.requestBody !== undefined,
    })),
  );
}

const send = (system: System, op: { method: string; path: string; hasBody?: boolean }, options: { token?: string; headers?: Record<string, string> } = {}): Promise<Reply> =>
  call(system.baseUrl, op.method, op.path, { ...options, ...(op.hasBody ? { body: {} } : {}) });

describe.each(TRANSPORTS)('access control on the %s system', (transport) => {
  let system: System;
  let adminToken: string;
  let memberToken: string;
  beforeAll(async () => {
    system = await startSystem({ transport });
    adminToken = (await setupAdmin(system.baseUrl)).access_token;
    memberToken = (await createMember(system.baseUrl, adminToken)).tokens.access_token;
  });
  afterAll(() => system.stop());

  it('answers 401 on every operation of the OpenAPI document that is not public, without or with a bad credential', async () => {
    const ops = await operations(system.baseUrl);
    const protectedOps = ops.filter((op) => op.security.length > 0);
    expect(protectedOps.length).toBe(allRoutes.filter((r) => r.access !== 'public').length);
    for (const op of protectedOps) {
      const anonymous = await send(system, op);
      expect({ op: `${op.method} ${op.path}`, status: anonymous.status, body: anonymous.body }).toEqual({
        op: `${op.method} ${op.path}`, status: 401, body: { error: 'Authentication required', code: 'unauthenticated' },
      });
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      for (const bad of ['garbage', 'Bearer', `${adminToken}x`]) {
        const reply = await send(system, op, { headers: { authorization: `Bearer ${bad}` } });
        expect({ op: `${op.method} ${op.path}`, status: reply.status }).toEqual({ op: `${op.method} ${op.path}`, status: 401 });
      }
    }
  });

  it('lets public operations through without a credential', async () => {
    const ops = (await operations(system.baseUrl)).filter((op) => op.security.length === 0);
    expect(ops.length).toBe(allRoutes.filter((r) => r.access === 'public').length);
    for (const op of ops) expect({ op: op.path, status: (await send(system, op)).status }).not.toMatchObject({ status: 401 });
  });

  it('answers 403 to a member on every admin route of the table', async () => {
    const adminRoutes = allRoutes.filter((route) => route.access === 'admin');
    expect(adminRoutes.length).toBeGreaterThan(0);
    for (const route of adminRoutes) {
      const op = { method: route.method.toUpperCase(), path: route.path.replace(/\{[^}]+\}/g, 'some-id'), hasBody: route.body !== undefined };
      const reply = await send(system, op, { token: memberToken });
      expect({ route: route.operationId, status: reply.status, code: (reply.body as { code?: string }).code })
        .toEqual({ route: route.operationId, status: 403, code: 'forbidden' });
    }
  });

  it('takes a query token on the stream only, never on ordinary routes', async () => {
    const me = await call(system.baseUrl, 'GET', `/v1/auth/me?token=${encodeURIComponent(adminToken)}`);
    expect(me.status).toBe(401);
  });

  it('accepts API keys and the engine\'s internal token as credentials', async () => {
    const key = await createApiKey(system.baseUrl, adminToken);
    expect((await call(system.baseUrl, 'GET', '/v1/users', { token: key.key })).status).toBe(200);
    expect((await call(system.baseUrl, 'GET', '/v1/status', { token: 'engine-internal-token-for-tests' })).status).toBe(200);
  });

  it('answers a throttled login 429 with a Retry-After of the wait left', async () => {
    await createMember(system.baseUrl, adminToken, `throttled-${transport}@example.com`);
    const attempt = () => call<{ details?: { retry_after_seconds?: number } }>(system.baseUrl, 'POST', '/v1/auth/login', {
      body: { email: `throttled-${transport}@example.com`, password: 'not the password' },
    });
    let reply = await attempt();
    for (let i = 0; i < 10 && reply.status !== 429; i++) reply = await attempt();
    expect(reply.status).toBe(429);
    const wait = Number(reply.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBe(Math.ceil(reply.body.details?.retry_after_seconds ?? 0));
  });
});

describe('with AUTH_ENABLED=false', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem({ transport: 'embedded', env: { AUTH_ENABLED: 'false' } });
  });
  afterAll(() => system.stop());

  it('acts as an anonymous admin on every route', async () => {
    expect((await call(system.baseUrl, 'GET', '/v1/status')).status).toBe(200);
    expect((await call(system.baseUrl, 'GET', '/v1/users')).status).toBe(200);
  });
});
