import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '@cadre/embedded-postgres';
import type { Logger } from '@cadre/logging';

/** The Postgres Cadre uses: DATABASE_URL's, or an embedded one this process started. */
export interface CadrePostgres {
  readonly url: string;
  readonly embedded: boolean;
  /** Stops the embedded server (a no-op for DATABASE_URL). */
  close(): Promise<void>;
}

const DATABASE = 'cadre';

/** Settings of the embedded server: durable (unlike the tests'), sized for one process. */
const EMBEDDED_SETTINGS = { max_connections: '100', listen_addresses: '127.0.0.1' };

/**
 * DATABASE_URL when set; otherwise an embedded Postgres with its cluster in
 * `<dataDir>/postgres` (created on the first start, reused on the next) and a `cadre` database.
 */
export async function openPostgres(databaseUrl: string | undefined, dataDir: string, logger: Logger): Promise<CadrePostgres> {
  if (databaseUrl) return { url: databaseUrl, embedded: false, close: async () => undefined };
  const clusterDir = resolve(dataDir, 'postgres');
  const passwordFile = resolve(dataDir, 'postgres.password');
  const existing = existsSync(resolve(clusterDir, 'PG_VERSION'));
  // The superuser's password: random per data folder, in a file only this user reads, never on a
  // command line. A cluster of a release before it still has the old fixed password: it is
  // changed on this start (the file is written first, so a crash in between is caught below).
  let password = existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : undefined;
  if (password === undefined) {
    // The first start: the data folder may not exist yet (`.cadre/` of a fresh checkout).
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
    password = randomBytes(24).toString('base64url');
    writeSecretFile(passwordFile, password);
  }
  logger.info({ dataDir: clusterDir }, 'starting embedded Postgres');
  const server = await startEmbeddedPostgres({
    dataDir: clusterDir,
    password,
    settings: EMBEDDED_SETTINGS,
    onLog: (line) => logger.debug({ postgres: line.trim() }, 'postgres'),
  });
  // This process and the server share the machine: every connection goes over the server's Unix socket.
  try {
    if (existing) await adoptPassword(server.localUrl, password, logger);
    await ensureDatabase(server.localUrl, DATABASE);
  } catch (error) {
    await server.dispose();
    throw error;
  }
  const url = new URL(server.localUrl);
  url.pathname = `/${DATABASE}`;
  return { url: url.toString(), embedded: true, close: () => server.dispose() };
}

/** Writes a file only its owner can read, atomically. */
function writeSecretFile(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${content}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** The fixed password every embedded cluster had before passwords were per data folder. */
const LEGACY_PASSWORD = 'postgres';

/**
 * An existing cluster that refuses the file's password is one of an older release (or one
 * whose change was cut short): sign in with the old fixed password and set the file's.
 */
async function adoptPassword(serverUrl: string, password: string, logger: Logger): Promise<void> {
  const refused = await tryConnect(serverUrl);
  if (refused === undefined) return;
  if (refused.code !== '28P01') throw refused;
  const legacy = new URL(serverUrl);
  legacy.password = LEGACY_PASSWORD;
  const client = new Client({ connectionString: legacy.toString() });
  await client.connect();
  try {
    const user = decodeURIComponent(legacy.username);
    await client.query(`alter role ${quoteIdent(user)} with password ${quoteLiteral(password)}`);
  } finally {
    await client.end();
  }
  logger.warn('the embedded Postgres had the old fixed password; it now has the one in postgres.password');
}

async function tryConnect(url: string): Promise<(Error & { code?: string }) | undefined> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return error as Error & { code?: string };
  } finally {
    await client.end().catch(() => undefined);
  }
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (value: string): string => `'${value.replace(/'/g, "''")}'`;

async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}
