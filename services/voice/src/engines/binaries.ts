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

/**
 * Runs a program with arguments (never through a shell) and answers its stdout. A missing
 * program is an `engine_not_installed` error naming its Debian package; a non-zero exit an
 * `engine_failed` one with the end of its stderr; an abort kills it.
 */
export function runBinary(program: string, args: readonly string[], options: RunOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new CancelledError(`${program} cancelled`));
      return;
    }
    const child = spawn(program, args, {
      stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      ...(options.path !== undefined ? { env: { ...process.env, PATH: options.path } } : {}),
    });
    const out: Buffer[] = [];
    let err = '';
    let settled = false;
    const finish = (error: Error | undefined, value?: Buffer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(value ?? Buffer.alloc(0));
    };
    const onAbort = (): void => {
      child.kill('SIGKILL');
      finish(new CancelledError(`${program} cancelled`));
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new TimeoutError(`${program} took longer than ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-2000);
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
      if (code === 0) finish(undefined, Buffer.concat(out));
      else finish(new DomainError(engineFailed, `${program} failed (${signal ?? `exit ${code}`}): ${err.trim().split('\n').slice(-3).join(' ') || 'no output'}`, { program }));
    });
    if (options.input && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
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
