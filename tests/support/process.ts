import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** A service started as its own process (the one entry point under tsx), as a deployment runs it. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** What it wrote so far (pino JSON lines). */
  output(): string;
  /** Stops it at once, like a crashed node: no drain, no acks, no goodbye. */
  kill(): Promise<void>;
  /** Asks it to stop (SIGTERM), as an orchestrator does, and resolves with its exit code once it exited. */
  terminate(): Promise<number | null>;
}

/**
 * Spawns `node --import tsx services/cadre/src/main.ts <name>` with only `env` (plus PATH and HOME)
 * and waits until it logs `readyMessage` (default `<name> started`; the gateway logs `gateway listening`).
 */
export async function spawnService(name: string, env: Readonly<Record<string, string>>, timeoutMs = 30_000, readyMessage = `${name} started`): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('services', 'cadre', 'src', 'main.ts'), name], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => void (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      if (output.includes(`"msg":"${readyMessage}"`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${String(child.exitCode)} before starting:\n${output}`));
    });
  });
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const terminate = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    return child.exitCode;
  };
  try {
    await started;
  } catch (error) {
    await kill();
    throw error;
  }
  return { child, output: () => output, kill, terminate };
}
