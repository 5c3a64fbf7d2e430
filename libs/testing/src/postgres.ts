import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { unixSocketUrl } from '@cadre/embedded-postgres';
import { startEmbeddedPostgres } from './postgres-server';

/** A fresh database of its own for one suite. */
export interface TestDatabase {
  readonly url: string;
  /**
   * The database as `npm start` reaches its own Postgres: over the server's Unix socket when the
   * server is one the tests started (not DATABASE_URL's) and has one, else `url` (benchmarks of
   * the embedded mode).
   */
  readonly localUrl: string;
  readonly name: string;
  dispose(): Promise<void>;
}

/** Env var through which the jest global setup hands its shared server to the test workers. */
export const SHARED_PG_ENV = 'CADRE_TEST_PG_URL';

/** The server suites create their databases on: DATABASE_URL, else the one global setup started. */
export function sharedServerUrl(): string | undefined {
  return process.env.DATABASE_URL ?? process.env[SHARED_PG_ENV];
}

let lazyServer: Promise<string> | undefined;

async function serverUrl(): Promise<string> {
  const shared = sharedServerUrl();
  if (shared) return shared;
  // Run outside jest's global setup (a script, a single file): start one server per process.
  lazyServer ??= startEmbeddedPostgres().then((server) => {
    process.once('exit', () => void server.dispose());
    return server.url;
  });
  return lazyServer;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Creates a uniquely named database for a suite (on `server` when given, e.g. a pgvector server); `dispose` drops it. */
export async function createTestDatabase(prefix = 'cadre_test', onServer?: string): Promise<TestDatabase> {
  const server = onServer ?? (await serverUrl());
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(server, name);
  return {
    name,
    url,
    // Never a DATABASE_URL's: that server, and how it lets local users in, are the caller's.
    localUrl: process.env.DATABASE_URL === undefined && onServer === undefined ? unixSocketUrl(url) ?? url : url,
    dispose: async () => {
      const client = new Client({ connectionString: server });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
