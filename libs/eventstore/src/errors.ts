import { isConnectionError } from '@cadre/bus';
import { CadreError, UnavailableError } from '@cadre/proto';

interface PgErrorLike {
  readonly code?: unknown;
  readonly constraint?: unknown;
  readonly message?: unknown;
}

function asPgError(error: unknown): PgErrorLike {
  return typeof error === 'object' && error !== null ? (error as PgErrorLike) : {};
}

/** True for a unique violation on the named constraint. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const pg = asPgError(error);
  return pg.code === '23505' && pg.constraint === constraint;
}

/**
 * True when the error shows a connection is not its client's alone: an EXECUTE of a statement the
 * client prepared that the session does not have (invalid_sql_statement_name), or a PREPARE of
 * one the session has already (duplicate_prepared_statement), which only a shared session can.
 */
export function isSessionShared(error: unknown): boolean {
  const { code } = asPgError(error);
  return code === '26000' || code === '42P05';
}

/**
 * True when the error says Postgres cannot be reached (down, restarting, overloaded): the same
 * judgement as the embedded bus's, so the store and the bus on one database agree on an outage.
 */
export const isUnavailable: (error: unknown) => boolean = isConnectionError;

/**
 * Lets typed errors through and turns "database unreachable" into a retryable UnavailableError,
 * so callers (command handlers, the relay) can tell an outage from a bug.
 */
export function toStoreError(error: unknown, operation: string): unknown {
  if (error instanceof CadreError) return error;
  if (!isUnavailable(error)) return error;
  const unavailable = new UnavailableError(`event store unavailable during ${operation}`);
  // The proto subclasses take no `cause`; keep the driver error for logs all the same.
  Object.defineProperty(unavailable, 'cause', { value: error, enumerable: false, configurable: true, writable: true });
  return unavailable;
}
