import { Pool, type PoolConfig } from 'pg';

/**
 * A Postgres pool that survives its server going away: without an `error` listener, an idle
 * client killed by a Postgres restart (or a test dropping its database) crashes the process.
 * Queries on a dead client still fail and are retried by their callers; the pool reconnects.
 */
export function createPool(config: PoolConfig & { connectionString: string }, onError?: (error: Error) => void): Pool {
  const pool = new Pool(config);
  const report = (error: Error) => onError?.(error);
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  return pool;
}
