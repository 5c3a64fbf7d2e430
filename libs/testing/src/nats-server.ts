import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from './ports';
import { which } from './which';
import { dockerAvailable } from './docker';

/** A NATS server a test can reach, and — when the test started it — stop and start again. */
export interface TestNats {
  readonly url: string;
  /** True when this suite owns the server and may stop and restart it. */
  readonly controllable: boolean;
  /** Stops the server (SIGTERM, or SIGKILL with `hard`), keeping its JetStream store. */
  stop(options?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port with the same JetStream store. */
  start(): Promise<void>;
  /** Stops it for good and removes its store. */
  dispose(): Promise<void>;
}

export interface StartNatsOptions {
  /** Require a server this suite controls (fault tests); NATS_URL is then ignored. */
  readonly controllable?: boolean;
}

const INSTALL_HINT =
  'No NATS server for the tests: set NATS_URL, install nats-server (Debian: apt-get install -y nats-server), or run a Docker engine for testcontainers.';

/**
 * Gives a suite a NATS server with JetStream: NATS_URL when set, else a `nats-server` binary
 * started on a free port with its store in a temp folder, else a testcontainers container.
 */
export async function startNats(options: StartNatsOptions = {}): Promise<TestNats> {
  const external = process.env.NATS_URL;
  if (external && !options.controllable) return externalNats(external);
  const binary = which('nats-server');
  if (binary) return startBinaryNats(binary);
  if (await dockerAvailable()) return startContainerNats();
  throw new Error(INSTALL_HINT);
}

function externalNats(url: string): TestNats {
  const refuse = async (): Promise<void> => {
    throw new Error('the NATS server comes from NATS_URL; this suite cannot stop or start it');
  };
  return { url, controllable: false, stop: refuse, start: refuse, dispose: async () => undefined };
}

async function startBinaryNats(binary: string): Promise<TestNats> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'cadre-nats-'));
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    if (child) return;
    const proc = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child = proc;
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    try {
      await waitForPort(port);
    } catch (error) {
      throw new Error(`nats-server did not start: ${(error as Error).message}\n${stderr}`);
    }
  };

  const stop = async ({ hard = false } = {}): Promise<void> => {
    const proc = child;
    if (!proc) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
    child = undefined;
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    controllable: true,
    stop,
    start,
    dispose: async () => {
      await stop({ hard: true });
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

async function startContainerNats(): Promise<TestNats> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('nats:2.10')
    .withCommand(['-js', '-sd', '/data'])
    .withExposedPorts(4222)
    .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
    .start();
  const url = `nats://${container.getHost()}:${container.getMappedPort(4222)}`;
  return {
    url,
    controllable: true,
    stop: async () => {
      await container.stop({ remove: false } as never);
    },
    start: async () => {
      await container.restart();
    },
    dispose: async () => {
      await container.stop();
    },
  };
}
