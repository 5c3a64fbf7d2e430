import type { UserView } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { ADMIN, createApiKey, login, setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { openStream } from '../support/sse';
import { startSystem, TRANSPORTS, type System } from '../support/system';

describe.each(TRANSPORTS)('through the gateway on the %s system', (transport) => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem({ transport });
  });
  afterAll(() => system.stop());

  it('sets up, logs in, shows me, makes an API key and follows the stream with it', async () => {
    const setup = await setupAdmin(system.baseUrl);
    expect((await call(system.baseUrl, 'POST', '/v1/auth/setup', { body: ADMIN })).status).toBe(409);

    const tokens = await login(system.baseUrl, ADMIN.email, ADMIN.password);
    const me = await call<UserView>(system.baseUrl, 'GET', '/v1/auth/me', { token: tokens.access_token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: setup.user.id, email: ADMIN.email, role: 'admin' });

    const key = await createApiKey(system.baseUrl, tokens.access_token);
    const byKey = await call<UserView>(system.baseUrl, 'GET', '/v1/auth/me', { token: key.key });
    expect(byKey.body).toMatchObject({ id: setup.user.id });

    // From the start of the stream: the identity events of what was just done, in order.
    const stream = await openStream(system.baseUrl, { token: key.key, tokenInQuery: true, lastEventId: 0 });
    expect(stream.status).toBe(200);
    await eventually(() => expect(stream.events.map((e) => e.event)).toEqual(expect.arrayContaining(['user_created', 'session_started', 'api_key_created'])));
    const ids = stream.events.map((e) => e.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const created = JSON.parse(stream.events.find((e) => e.event === 'api_key_created')!.data) as { data: { key_id: string } };
    expect(created.data.key_id).toBe(key.id);
    stream.close();
  });

  it('answers status with the bus, the database and the stream position', async () => {
    const tokens = await login(system.baseUrl, ADMIN.email, ADMIN.password);
    const status = await call<Record<string, unknown>>(system.baseUrl, 'GET', '/v1/status', { token: tokens.access_token });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      status: 'ok', bus: { transport, healthy: true }, database: { healthy: true }, identity: { healthy: true },
      events: { last_seq: expect.any(Number), live_seq: expect.any(Number) },
    });
    expect((await call(system.baseUrl, 'GET', '/v1/ready')).status).toBe(200);
    expect((await call(system.baseUrl, 'GET', '/v1/status')).status).toBe(401);
  });
});
