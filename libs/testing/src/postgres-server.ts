import {
  startEmbeddedPostgres as startServer,
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresServer,
} from '@cadre/embedded-postgres';

export type { EmbeddedPostgresOptions, EmbeddedPostgresServer };

const TEST_SETTINGS = { max_connections: '300', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };

/**
 * Starts a real Postgres for tests (`@cadre/embedded-postgres`), with settings that trade
 * durability for speed unless `settings` overrides them. It can be stopped and started again
 * (fault tests).
 */
export function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresServer> {
  return startServer({ ...options, settings: { ...TEST_SETTINGS, ...options.settings } });
}
