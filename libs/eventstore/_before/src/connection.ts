import { Kysely, PostgresDialect } from 'kysely';
import { Pool } from 'pg';
import { ValidationError } from '@cadre/proto';
import type { Database } from './database';

/** Where the store's tables live: an existing pool (shared with the service) or a URL. */
export type ConnectionOptions =
  | { readonly pool: Pool; readonly databaseUrl?: undefined }
  | { readonly databaseUrl: string; readonly pool?: undefined; readonly maxConnections?: number };

/** A pool, the Kysely instance on it, and whether closing the store should end the pool. */
export interface Connection {
  readonly pool: Pool;
  readonly db: Kysely<Database>;
  readonly ownsPool: boolean;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/** Schema names are spliced into identifiers, channel names and lock keys, so keep them plain. */
export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new ValidationError(`invalid event store schema "${schema}" (lower-case letters, digits, _; at most 48)`, { schema });
  }
}

export function openConnection(options: ConnectionOptions): Connection {
  const ownsPool = options.pool === undefined;
  const pool = options.pool ?? new Pool({
    connectionString: options.databaseUrl,
    max: options.maxConnections ?? 10,
    // Fail an unreachable server within a bounded time rather than hang the caller.
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
  });
  // An idle client that loses its server (restart, failover) is reported here; without a
  // listener node would crash the process. The pool drops the client and reconnects later.
  if (ownsPool) {
    pool.on('error', () => undefined);
    // A checked-out client (mid-transaction) has no pool listener: give each one its own, so a
    // server shutdown fails the next query instead of crashing the process.
    pool.on('connect', (client) => client.on('error', () => undefined));
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { pool, db, ownsPool };
}

/** NOTIFY channel on which appends wake the relay of one schema. */
export function outboxChannel(schema: string): string {
  return `cadre_outbox_${schema}`;
}

/** Text hashed (hashtextextended) into the advisory-lock key that admits one relay per schema. */
export function relayLockName(schema: string): string {
  return `cadre.outbox-relay.${schema}`;
}
