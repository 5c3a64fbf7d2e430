import { call, createPool } from '@cadre/runtime';
import type { Pool } from 'pg';
import { createEmbeddedBus, type Bus } from '@cadre/bus';
import { silentLogger } from '@cadre/logging';
import { authStatus, authenticate, login, setup, userList } from '@cadre/proto';
import type { Service } from '@cadre/runtime';
import { createTestDatabase, type TestDatabase } from '@cadre/testing';
import { loadIdentityConfig, startIdentity } from './index';
import { startHarness } from './test-support/harness';

describe('identity across restarts', () => {
  let database: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase('cadre_identity');
    pool = createPool({ connectionString: database.url });
  });
  afterAll(async () => {
    await pool?.end();
    await database?.dispose();
  });

  const start = async (): Promise<{ bus: Bus; service: Service }> => {
    const bus = await createEmbeddedBus({ databaseUrl: database.url });
    const service = await startIdentity({ bus, pool, logger: silentLogger(), instance: 'identity-restart' }, loadIdentityConfig({}));
    return { bus, service };
  };

  it('keeps accepting tokens signed before a restart (the generated key is kept) and rebuilds its view', async () => {
    const first = await start();
    const admin = await call(first.bus, setup, { email: 'admin@example.com', password: 'admin password' });
    await first.service.shutdown('restart');

    const second = await start();
    try {
      const principal = await call(second.bus, authenticate, { token: admin.access_token });
      expect(principal).toMatchObject({ kind: 'user', user_id: admin.user.id, role: 'admin' });
      await expect(call(second.bus, authStatus, {})).resolves.toEqual({ auth_enabled: true, setup_required: false });
      await expect(call(second.bus, login, { email: 'admin@example.com', password: 'admin password' })).resolves.toMatchObject({ token_type: 'bearer' });
    } finally {
      await second.service.shutdown('test over');
    }
  });
});

describe('identity with AUTH_ENABLED=false', () => {
  it('resolves a missing or bad credential to an admin, and a real one to its owner', async () => {
    const h = await startHarness({ env: { AUTH_ENABLED: 'false', JWT_SECRET: 'a-configured-secret-of-at-least-32-chars' } });
    try {
      await expect(h.send(authStatus, {})).resolves.toEqual({ auth_enabled: false, setup_required: true });
      await expect(h.principalOf('anything')).resolves.toEqual({ kind: 'service', role: 'admin', credential_id: 'auth-disabled' });
      const admin = await h.send(setup, { email: 'admin@example.com', password: 'admin password' });
      await expect(h.principalOf(admin.access_token)).resolves.toMatchObject({ kind: 'user', user_id: admin.user.id });
      await expect(h.send(userList, {}, { as: 'anything' })).resolves.toMatchObject({ users: [expect.objectContaining({ id: admin.user.id })] });
    } finally {
      await h.dispose();
    }
  });
});
