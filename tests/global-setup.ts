import { SHARED_PG_ENV, sharedServerUrl, startEmbeddedPostgres, type EmbeddedPostgresServer } from '../libs/testing/src';

declare global {
  var __cadrePg: EmbeddedPostgresServer | undefined;
}

/** One Postgres server for the whole run (each suite makes its own database on it). */
export default async function globalSetup(): Promise<void> {
  if (sharedServerUrl()) return;
  const server = await startEmbeddedPostgres();
  globalThis.__cadrePg = server;
  process.env[SHARED_PG_ENV] = server.url;
}
