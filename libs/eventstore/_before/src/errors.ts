import { CadreError, UnavailableError } from '@cadre/proto';

interface PgErrorLike {
  readonly code?: unknown;
  readonly constraint?: unknown;
  readonly message?: unknown;
}

// SQLSTATE classes and node errors that mean "the database is not reachable right now":
// 08 connection exception, 57P01-03 shutdown / starting up, 53300 too many connections.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const UNAVAILABLE_MESSAGES = /Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Client was closed|not queryable/i;

function asPgError(error: unknown): PgErrorLike {
  return typeof error === 'object' && error !== null ? (error as PgErrorLike) : {};
}

/** True for a unique violation on the named constraint. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const pg = asPgError(error);
  return pg.code === '23505' && pg.constraint === constraint;
}

/** True when the error says Postgres cannot be reached (down, restarting, overloaded). */
export function isUnavailable(error: unknown): boolean {
  const pg = asPgError(error);
  const code = typeof pg.code === 'string' ? pg.code : '';
  if (code.startsWith('08') || UNAVAILABLE_STATES.has(code) || UNAVAILABLE_NODE_CODES.has(code)) return true;
  return typeof pg.message === 'string' && UNAVAILABLE_MESSAGES.test(pg.message);
}

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
