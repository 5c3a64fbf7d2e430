import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';

const run = promisify(execFile);

/** A Postgres server of the system's packages with the pgvector extension, started for a test. */
export interface PgvectorServer {
  /** `postgres://postgres:password@127.0.0.1:port/postgres` */
  readonly url: string;
  /** The server's major version (e.g. 15). */
  readonly version: number;
  dispose(): Promise<void>;
}

/**
 * The binaries of a Postgres with pgvector: `CADRE_PGVECTOR_BIN` (a folder holding `initdb`,
 * `pg_ctl` and `postgres`), else the newest Debian `postgresql-<n>` whose share folder has
 * `extension/vector.control` (`postgresql-<n>-pgvector`, or pgvector built against it; `.ci/run`
 * installs one). Undefined when there is none.
 */
export function pgvectorBinaries(): { bin: string; version: number } | undefined {
  const given = process.env.CADRE_PGVECTOR_BIN;
  if (given) return { bin: given, version: Number(/(\d+)/.exec(given)?.[1] ?? 0) };
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).map(Number).filter((v) => Number.isInteger(v) && v > 0).sort((a, b) => b - a);
  for (const version of versions) {
    const bin = join(root, String(version), 'bin');
    if (existsSync(join(bin, 'pg_ctl')) && existsSync(`/usr/share/postgresql/${version}/extension/vector.control`)) return { bin, version };
  }
  return undefined;
}

/**
 * Starts a throwaway cluster of the system's Postgres with pgvector (see `pgvectorBinaries`) on a
 * free port, with the test settings that trade durability for speed; as root, it runs as the
 * `postgres` user. `dispose` stops it and removes its data. Throws, saying what to install, when
 * the machine has no such Postgres.
 */
export async function startPgvectorPostgres(): Promise<PgvectorServer> {
  const found = pgvectorBinaries();
  if (found === undefined) {
    throw new Error('no Postgres with pgvector on this machine: install postgresql-15 and pgvector for it (.ci/run does), or set CADRE_PGVECTOR_BIN');
  }
  const dir = mkdtempSync(join(tmpdir(), 'cadre-pgvector-'));
  chmodSync(dir, 0o700);
  const asRoot = process.getuid?.() === 0;
  let ids: { uid: number; gid: number } | undefined;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: group } = await run('id', ['-g', 'postgres']);
    ids = { uid: Number(stdout.trim()), gid: Number(group.trim()) };
    chownSync(dir, ids.uid, ids.gid);
  }
  const password = randomBytes(18).toString('base64url');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, password, { mode: 0o600 });
  if (ids) chownSync(pwfile, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const as = ids ? { uid: ids.uid, gid: ids.gid } : {};
  const port = await freePort();
  await run(join(found.bin, 'initdb'), ['-D', data, '-U', 'postgres', '--pwfile', pwfile, '--auth=scram-sha-256', '--locale=C', '--encoding=UTF8', '--lc-messages=C'], { ...as, cwd: dir });
  rmSync(pwfile);
  const settings = { port: String(port), listen_addresses: '127.0.0.1', unix_socket_directories: dir, max_connections: '200', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };
  const options = Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`).join(' ');
  await run(join(found.bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-o', options, '-w', '-t', '60', 'start'], { ...as, cwd: dir });
  let disposed: Promise<void> | undefined;
  const dispose = async (): Promise<void> => {
    await run(join(found.bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { ...as, cwd: dir }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    version: found.version,
    dispose: () => (disposed ??= dispose()),
  };
}
