import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '@cadre/embedded-postgres';
import { silentLogger } from '@cadre/logging';
import { openPostgres, type CadrePostgres } from './postgres';

async function connects(url: string, password: string): Promise<string> {
  const target = new URL(url);
  target.password = password;
  const client = new Client({ connectionString: target.toString() });
  try {
    await client.connect();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `npm start`'s own Postgres: a password of its own per data folder, never the old fixed one, never on a command line. */
describe('the embedded Postgres of npm start', () => {
  const made: string[] = [];
  const folder = (): string => {
    // Like a user's project folder: others may traverse it (as root, Postgres runs as `postgres`).
    const dir = mkdtempSync(join(tmpdir(), 'cadre-pgpw-'));
    chmodSync(dir, 0o755);
    made.push(dir);
    return dir;
  };
  let opened: CadrePostgres | undefined;
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });
  afterAll(() => {
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  });

  it('makes a random password kept in a file only its owner reads, refuses the old one, and shows it on no command line', async () => {
    // A data folder that does not exist yet, as `.cadre/` on the first `npm start`.
    const dataDir = join(folder(), 'data');
    opened = await openPostgres(undefined, dataDir, silentLogger());
    const file = join(dataDir, 'postgres.password');
    const password = readFileSync(file, 'utf8').trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await connects(opened.url, password)).toBe('ok');
    expect(await connects(opened.url, 'postgres')).toBe('28P01');
    // The server is on this machine: the services reach it over its Unix socket (where there are
    // any), and the socket asks for the password as TCP does (above: the old one refused).
    if (process.platform !== 'win32') {
      expect(new URL(opened.url).searchParams.get('host')).toBe('/tmp');
      const client = new Client({ connectionString: opened.url });
      await client.connect();
      try {
        // NULL for a connection over a Unix socket, the server's address over TCP.
        expect((await client.query<{ address: string | null }>('select inet_server_addr()::text as address')).rows[0]?.address).toBeNull();
      } finally {
        await client.end();
      }
    }
    const commandLines = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
    expect(commandLines).not.toContain(password);
  });

  it('gives a cluster of an older release (fixed password) the password of its file', async () => {
    const dataDir = folder();
    const old = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), password: 'postgres' });
    await old.dispose();
    opened = await openPostgres(undefined, dataDir, silentLogger());
    const password = readFileSync(join(dataDir, 'postgres.password'), 'utf8').trim();
    expect(await connects(opened.url, password)).toBe('ok');
    expect(await connects(opened.url, 'postgres')).toBe('28P01');
  });
});
