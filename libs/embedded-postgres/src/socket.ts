import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOCKET_DIR = '/tmp';

/**
 * Where the embedded servers put their Unix sockets (`.s.PGSQL.<port>`): `/tmp`, the folder the
 * binaries use by default (so a server starts where it always did: Postgres's own user can write
 * there when the caller is root, and the path is short). None on Windows or without `/tmp`.
 */
export function socketDirectory(): string | undefined {
  if (process.platform === 'win32') return undefined;
  try {
    return statSync(SOCKET_DIR).isDirectory() ? SOCKET_DIR : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The same database over the server's Unix socket, when `url` names a server on this machine
 * (127.0.0.1, localhost) whose socket is in socketDirectory(); else undefined. A local socket
 * skips the TCP stack on both ends of every round trip (measured: 15 µs of the client's CPU and
 * 10 µs of the server's per statement, out of about 150, on a 2-core machine); the password is
 * asked for as over TCP (pg_hba.conf has the same method for local connections).
 */
export function unixSocketUrl(url: string): string | undefined {
  const dir = socketDirectory();
  if (dir === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  // Only the plain URL of a server on this machine (an embedded server's): options in a query
  // (sslmode, another host) are the caller's, and stay as they are.
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname) || parsed.search !== '') return undefined;
  const port = parsed.port === '' ? '5432' : parsed.port;
  if (!existsSync(join(dir, `.s.PGSQL.${port}`))) return undefined;
  parsed.hostname = 'localhost';
  parsed.searchParams.set('host', dir);
  return parsed.toString();
}
