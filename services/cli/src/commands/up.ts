import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..', '..');

/** The one entry point of every Cadre process: the sources under tsx in a checkout, else the build (an image has only that). */
function entryPoint(): readonly string[] {
  const source = join(ROOT, 'services', 'cadre', 'src', 'main.ts');
  return existsSync(source) ? ['--import', 'tsx', source] : [join(ROOT, 'services', 'cadre', 'dist', 'main.js')];
}

/**
 * `cadre up [service]`: all of Cadre (embedded mode), or one service, exactly as `npm start` and
 * the image run it — the same entry point (telemetry first, then the registry's services), in a
 * child process; Ctrl-C and SIGTERM are passed on and its exit code is returned.
 */
export function up(env: NodeJS.ProcessEnv = process.env, service?: string): Promise<number> {
  const child = spawn(process.execPath, [...entryPoint(), ...(service !== undefined ? [service] : [])], { cwd: ROOT, env, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => child.once('exit', (code, signal) => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
    resolve(code ?? (signal !== null ? 1 : 0));
  }));
}
