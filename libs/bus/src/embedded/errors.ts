import { CadreError, UnavailableError } from '@cadre/proto';

// Socket errors and the SQLSTATEs Postgres sends while it shuts down, restarts or is full.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '53300',
]);
const CONNECTION_MESSAGES = /connection terminated|terminating connection|timeout exceeded when trying to connect|connection error|not queryable|Cannot use a pool after calling end|Client was closed|Connection refused/i;

/** True when an error of the pg driver means the database cannot be reached (as opposed to a bad query). */
export function isConnectionError(error: unknown): boolean {
  // Duck-typed: socket errors come from Node's own realm, where `instanceof Error` of a
  // sandbox (jest, vm) does not hold.
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, errors, syscall } = error as { code?: unknown; message?: unknown; errors?: unknown; syscall?: unknown };
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  // Over a Unix socket, the server's socket file is gone while it is down (a file missing elsewhere is no outage).
  if (code === 'ENOENT' && syscall === 'connect') return true;
  if (Array.isArray(errors) && errors.some(isConnectionError)) return true;
  return typeof message === 'string' && CONNECTION_MESSAGES.test(message);
}

/** The CadreError a caller of the bus sees for a database failure: unavailable when down, else internal (no SQL leaks out). */
export function toBusError(error: unknown, what: string): CadreError {
  if (error instanceof CadreError) return error;
  if (isConnectionError(error)) return new UnavailableError(`${what}: database unavailable`);
  return new CadreError('internal', `${what} failed`, undefined, { cause: error });
}
