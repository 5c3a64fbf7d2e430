import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@cadre/testing';
import { startBanner, startCadre, type Cadre } from '../../services/cadre/src/index';
import { ADMIN } from '../support/auth';
import { call } from '../support/http';

/** This machine's addresses besides the one loopback address the default binds (127.0.0.2 is loopback too, but not bound). */
function otherAddresses(): string[] {
  const external = Object.values(networkInterfaces()).flat().flatMap((i) => (i && i.family === 'IPv4' && !i.internal ? [i.address] : []));
  return ['127.0.0.2', ...external];
}

async function reachable(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(3_000) });
    return true;
  } catch {
    return false;
  }
}

/**
 * `npm start`'s composition root on its defaults: it answers this machine only. Opened to the
 * network (HOST=0.0.0.0), the first-admin setup needs the one-time token it prints.
 */
describe('the all-in-one process on the network', () => {
  let database: TestDatabase;
  const dataDir = mkdtempSync(join(tmpdir(), 'cadre-bind-'));
  let cadre: Cadre | undefined;
  beforeAll(async () => {
    database = await createTestDatabase('cadre_bind');
  });
  afterEach(async () => {
    await cadre?.stop('test over');
    cadre = undefined;
  });
  afterAll(async () => {
    await database?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const base = { CADRE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' };

  it('binds the loopback address by default, and says so', async () => {
    cadre = await startCadre({ ...base, DATABASE_URL: database.url });
    expect(cadre.host).toBe('127.0.0.1');
    expect(cadre.setupToken).toBeUndefined();
    expect(await reachable(`http://127.0.0.1:${cadre.port}/v1/health`)).toBe(true);
    for (const address of otherAddresses()) expect(await reachable(`http://${address}:${cadre.port}/v1/health`)).toBe(false);
    expect(startBanner(cadre.url, { database: 'x', bus: 'y', host: cadre.host })).toContain('listening on this machine only');
  });

  it('opened with HOST, takes the first-admin setup only with the one-time token it printed', async () => {
    cadre = await startCadre({ ...base, DATABASE_URL: database.url, HOST: '0.0.0.0' });
    const token = cadre.setupToken!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const banner = startBanner(cadre.url, { database: 'x', bus: 'y', host: cadre.host, setupToken: token });
    expect(banner).toContain(token);
    expect(banner).toContain('reachable from other machines');
    const other = otherAddresses()[0]!;
    expect(await reachable(`http://${other}:${cadre.port}/v1/health`)).toBe(true);

    const url = `http://${other}:${cadre.port}`;
    const without = await call<{ code: string; error: string }>(url, 'POST', '/v1/auth/setup', { body: ADMIN });
    expect(without.status).toBe(403);
    expect(without.body.error).toMatch(/setup token/);
    expect((await call(url, 'POST', '/v1/auth/setup', { body: { ...ADMIN, setup_token: `${token}x` } })).status).toBe(403);
    expect((await call(url, 'POST', '/v1/auth/setup', { body: { ...ADMIN, setup_token: token } })).status).toBe(201);
  });
});
