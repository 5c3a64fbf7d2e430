// Jest loads this file without the projects' module mapper, so a package name resolves through
// node_modules to a build that a fresh clone does not have: only files that import no @cadre/*
// package besides @cadre/embedded-postgres (whose entry is committed) are imported here.
import { SHARED_PG_ENV, sharedServerUrl } from '../libs/testing/src/postgres';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from '../libs/testing/src/postgres-server';

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
