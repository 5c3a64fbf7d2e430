import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect, type Generated } from 'kysely';
import { Pool, type PoolClient, type PoolConfig, type QueryResult, type QueryResultRow } from 'pg';
import { UnavailableError, ValidationError } from '@cadre/proto';
import { isConnectionError, toBusError } from './errors';
import type { BusLogger } from '../logger';

/** Tables the kysely queries touch (the hot paths use raw SQL). */
export interface BusTables {
  consumers: {
    name: string;
    filter: string | null;
    ack_wait_ms: number;
    max_deliver: number | null;
    max_ack_pending: number;
    delivered_seq: string;
    created_at: Generated<Date>;
  };
  consumer_pending: { consumer: string; seq: string; deliveries: number; redeliver_at: Date };
  jobs: {
    job_id: string;
    queue: string;
    msg_id: string;
    status: Generated<string>;
    attempts: Generated<number>;
  };
  blobs: { bucket: string; name: string; blob_id: string; size: string; digest: string | null; modified: Date };
  blob_chunks: { blob_id: string; idx: number; data: Buffer };
}

/** One bus's handle on its database: the pool, health, and error mapping to CadreErrors. */
export interface Db {
  readonly schema: string;
  readonly pool: Pool;
  readonly kysely: Kysely<BusTables>;
  /** The NOTIFY channel of this schema. */
  readonly channel: string;
  /** Schema-qualified, quoted name of a table or function. */
  t(name: string): string;
  /** Runs one statement; failures become UnavailableError (database down) or internal. */
  query<R extends QueryResultRow = QueryResultRow>(what: string, text: string, values?: readonly unknown[]): Promise<QueryResult<R>>;
  /**
   * As `query`, for a statement prepared once per connection and named by a digest of its text:
   * Postgres parses it once and, after a few calls, keeps one plan for it. Only for statements
   * whose plan cannot depend on how big the tables have grown — an index lookup by key, an
   * insert, a call of the schema's functions — and that name their columns (a migration adding
   * one must not change what a prepared statement returns). A scan of the stream or a statement
   * whose best plan changes with the tables' size stays with `query`, planned at each call.
   */
  prepared<R extends QueryResultRow = QueryResultRow>(what: string, text: string, values?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs `fn` in a transaction on one client, with the same error mapping. */
  tx<T>(what: string, fn: (client: PoolClient) => Promise<T>): Promise<T>;
  /** Wraps any database work (kysely included) in the error mapping and health tracking. */
  run<T>(what: string, fn: () => Promise<T>): Promise<T>;
  healthy(): boolean;
  /** Marks the database reachable again (the listener reconnected). */
  markUp(): void;
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,50}$/;

/** Throws a ValidationError unless `schema` is a plain lower-case identifier (it is spliced into SQL). */
export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new ValidationError(`invalid schema name "${schema}"`, { schema });
}

export interface OpenDbOptions {
  readonly databaseUrl?: string;
  readonly pool?: Pool;
  readonly schema: string;
  readonly logger: BusLogger;
}

/**
 * The buses sharing a pool (the all-in-one process gives every service's bus the same one) hear its
 * connection errors through one listener on the pool and one on each client, not one per bus (which
 * passed Node's listener limit at eleven services and grew with every bus opened on the pool).
 */
const poolWatchers = new WeakMap<Pool, Set<(error: Error) => void>>();

function watchPool(pool: Pool, onError: (error: Error) => void): () => void {
  let watchers = poolWatchers.get(pool);
  if (watchers === undefined) {
    const all = new Set<(error: Error) => void>();
    watchers = all;
    poolWatchers.set(pool, all);
    // Stays when every bus has closed: clients still closing may report, and an unheard 'error' would crash the process.
    const fan = (error: Error): void => { for (const watcher of all) watcher(error); };
    pool.on('error', fan);
    // A client checked out when the server goes away reports on itself, not on the pool.
    pool.on('connect', (client) => client.on('error', fan));
  }
  watchers.add(onError);
  const mine = watchers;
  return () => { mine.delete(onError); };
}

/** The name a statement is prepared under: a digest of its text, so a text has one name and a name one text. */
function statementName(names: Map<string, string>, text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `cadre_bus_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    names.set(text, name);
  }
  return name;
}

/** Opens (or adopts) the pool; an adopted pool is left open on close. */
export function openDb(options: OpenDbOptions): Db {
  const { schema, logger } = options;
  assertSchemaName(schema);
  const owned = options.pool === undefined;
  if (owned && !options.databaseUrl) throw new ValidationError('createEmbeddedBus needs databaseUrl or pool');
  const pool = options.pool ?? new Pool(poolConfig(options.databaseUrl ?? ''));
  let up = true;
  let closed = false;
  // Idle clients die with the server; without a listener the pool's 'error' event would crash the process.
  const onPoolError = (error: Error): void => {
    up = false;
    if (closed) return;
    logger.warn({ err: error.message }, 'embedded bus: idle database connection lost');
  };
  const unwatch = watchPool(pool, onPoolError);
  const kysely = new Kysely<BusTables>({ dialect: new PostgresDialect({ pool }) }).withSchema(schema);
  const names = new Map<string, string>();

  const run = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    if (closed) throw new UnavailableError(`${what}: bus is closed`);
    try {
      const result = await fn();
      up = true;
      return result;
    } catch (error) {
      if (isConnectionError(error)) up = false;
      throw toBusError(error, what);
    }
  };

  return {
    schema,
    pool,
    kysely,
    channel: `${schema}_wake`,
    t: (name) => `"${schema}"."${name}"`,
    query: (what, text, values) => run(what, () => pool.query(text, values as unknown[] | undefined)),
    prepared: (what, text, values) => run(what, () => pool.query({ name: statementName(names, text), text, values: values as unknown[] | undefined })),
    tx: (what, fn) =>
      run(what, async () => {
        const client = await pool.connect();
        let broken = false;
        try {
          await client.query('BEGIN');
          const result = await fn(client);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          broken = isConnectionError(error);
          if (!broken) await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        } finally {
          // A client whose connection failed must not go back to the pool.
          client.release(broken ? true : undefined);
        }
      }),
    run,
    healthy: () => !closed && up,
    markUp: () => {
      up = true;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      unwatch();
      if (owned) await pool.end().catch(() => undefined);
    },
  };
}

function poolConfig(connectionString: string): PoolConfig {
  // Fail fast while the server is down (callers get UnavailableError rather than a hang).
  return { connectionString, max: 10, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 };
}
