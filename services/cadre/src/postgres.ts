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
  logger.info({ dataDir: clusterDir }, 'starting embedded Postgres');
  const server = await startEmbeddedPostgres({
    dataDir: clusterDir,
    settings: EMBEDDED_SETTINGS,
    onLog: (line) => logger.debug({ postgres: line.trim() }, 'postgres'),
  });
  try {
    await ensureDatabase(server.url, DATABASE);
  } catch (error) {
    await server.dispose();
    throw error;
  }
  const url = new URL(server.url);
  url.pathname = `/${DATABASE}`;
  return { url: url.toString(), embedded: true, close: () => server.dispose() };
}

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
