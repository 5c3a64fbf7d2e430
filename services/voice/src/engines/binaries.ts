import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { CancelledError, DomainError, TimeoutError, defineErrorCode } from '@cadre/proto';

/** A local engine or encoder is not installed: the message names the Debian package. */
export const engineMissing = defineErrorCode('engine_not_installed', { kind: 'unprocessable' });
/** A local engine or encoder ran and failed. */
export const engineFailed = defineErrorCode('engine_failed', { kind: 'unprocessable' });

/** The Debian package of each program the service runs. */
export const DEBIAN_PACKAGES: Readonly<Record<string, string>> = {
  'espeak-ng': 'espeak-ng',
  flite: 'flite',
  lame: 'lame',
  opusenc: 'opus-tools',
  opusdec: 'opus-tools',
  sox: 'sox',
  pocketsphinx_continuous: 'pocketsphinx',
};

export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
  readonly input?: Uint8Array;
  /** The PATH to search for the program (default: the process's). */
  readonly path?: string | undefined;
}

/** One program of a pipeline: its name and arguments (never run through a shell). */
export interface Stage {
  readonly program: string;
  readonly args: readonly string[];
}

/**
 * Runs a program with arguments (never through a shell) and answers its stdout. A missing
 * program is an `engine_not_installed` error naming its Debian package; a non-zero exit an
 * `engine_failed` one with the end of its stderr; an abort kills it.
 */
export function runBinary(program: string, args: readonly string[], options: RunOptions): Promise<Buffer> {
  return runPipeline([{ program, args }], options);
}

/**
 * Runs programs as a pipeline, each one's stdout into the next one's stdin, all at once (an
 * encoder works on the first samples while the engine still speaks), and answers the last
 * one's stdout. `input` goes to the first one's stdin. The errors are runBinary's, naming the
 * program that failed; an abort or the timeout kills every stage.
 */
export function runPipeline(stages: readonly Stage[], options: RunOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const names = stages.map((s) => s.program).join(' | ');
    if (stages.length === 0) {
      reject(new Error('an empty pipeline'));
      return;
    }
    if (options.signal?.aborted) {
      reject(new CancelledError(`${names} cancelled`));
      return;
    }
    const env = options.path !== undefined ? { env: { ...process.env, PATH: options.path } } : {};
    const children = stages.map((stage, i) => spawn(stage.program, stage.args, {
      stdio: [i > 0 || options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'], ...env,
    }));
    const out: Buffer[] = [];
    const errs = stages.map(() => '');
    let open = children.length;
    let settled = false;
    const killAll = (): void => {
      // Only a stage that started: one that failed to (ENOENT) still has a handle whose pid is 0,
      // and killing it would signal pid 0 — this whole process group.
      for (const child of children) if (typeof child.pid === 'number' && child.pid > 0 && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) {
        killAll();
        reject(error);
      } else {
        resolve(Buffer.concat(out));
      }
    };
    const onAbort = (): void => finish(new CancelledError(`${names} cancelled`));
    const timer = setTimeout(() => finish(new TimeoutError(`${names} took longer than ${options.timeoutMs} ms`)), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    children.forEach((child, i) => {
      const { program } = stages[i]!;
      const next = children[i + 1];
      if (next?.stdin) {
        next.stdin.on('error', () => undefined); // the next stage's own exit says what went wrong
        child.stdout?.pipe(next.stdin);
      } else {
        child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
      }
      child.stderr?.on('data', (chunk: Buffer) => {
        errs[i] = (errs[i] + chunk.toString('utf8')).slice(-2000);
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') {
          const pkg = DEBIAN_PACKAGES[program] ?? program;
          finish(new DomainError(engineMissing, `${program} is not installed: install the Debian package ${pkg} (apt-get install -y ${pkg})`, { program, package: pkg }));
        } else {
          finish(new DomainError(engineFailed, `${program} could not start: ${error.message}`, { program }));
        }
      });
      child.on('close', (code, signal) => {
        if (code !== 0) {
          finish(new DomainError(engineFailed, `${program} failed (${signal ?? `exit ${code}`}): ${errs[i]!.trim().split('\n').slice(-3).join(' ') || 'no output'}`, { program }));
          return;
        }
        open -= 1;
        if (open === 0) finish(undefined);
      });
    });
    const first = children[0]!;
    if (options.input && first.stdin) {
      first.stdin.on('error', () => undefined);
      first.stdin.end(options.input);
    }
  });
}

/** The programs of DEBIAN_PACKAGES not found on `path` (default: PATH), with their packages. */
export async function missingPrograms(path: string | undefined = process.env.PATH): Promise<Array<{ program: string; package: string }>> {
  const dirs = (path ?? '').split(delimiter).filter((d) => d !== '');
  const found = async (program: string): Promise<boolean> => {
    for (const dir of dirs) {
      try {
        await access(join(dir, program), constants.X_OK);
        return true;
      } catch {
        // not in this folder
      }
    }
    return false;
  };
  const missing: Array<{ program: string; package: string }> = [];
  for (const [program, pkg] of Object.entries(DEBIAN_PACKAGES)) if (!(await found(program))) missing.push({ program, package: pkg });
  return missing;
}
