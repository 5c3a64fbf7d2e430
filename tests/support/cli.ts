import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

/** The repository root and the `cadre` command as a user runs it. */
export const ROOT = join(__dirname, '..', '..');
export const CADRE_BIN = join(ROOT, 'services', 'cli', 'bin', 'cadre.cjs');

export interface CliResult { readonly code: number | null; readonly stdout: string; readonly stderr: string }

/**
 * Runs of the `cadre` CLI in child processes with the environment `env()` gives at each call
 * (set in a suite's beforeAll): `start` leaves the child running, `cadre` waits for its exit,
 * `json` adds `--json` and parses stdout (a non-zero exit throws with stderr). `started` hears each
 * child (a suite that must kill what is left in its afterAll keeps them).
 */
export function cliRunner(env: () => NodeJS.ProcessEnv, started?: (child: ChildProcessWithoutNullStreams) => void) {
  const start = (args: readonly string[]): ChildProcessWithoutNullStreams => {
    const child = spawn(process.execPath, [CADRE_BIN, ...args], { cwd: ROOT, env: env() });
    started?.(child);
    return child;
  };
  const cadre = (...args: string[]): Promise<CliResult> => new Promise((resolve, reject) => {
    const child = start(args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await cadre(...args, '--json');
    if (result.code !== 0) throw new Error(`cadre ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };
  return { start, cadre, json };
}
