import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** `npm start` as its own process, from a tree (this one by default). */
export interface CadreProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm start`'s own command (the tree's package.json), run directly so the test signals the process itself, not npm. */
function startCommand(root: string): { command: string; args: string[] } {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [command, ...args] = pkg.scripts.start!.split(' ');
  return { command: command!, args };
}

/** Starts `npm start`'s command in `root` with `env` over this process's, without its database, NATS or exporter. */
export function startCadreProcess(env: Record<string, string>, root = ROOT): CadreProcess {
  const { command, args } = startCommand(root);
  const base = { ...process.env };
  // Embedded defaults: no database or NATS from this machine's environment.
  for (const name of ['DATABASE_URL', 'NATS_URL', 'CADRE_TEST_PG_URL', 'OTEL_EXPORTER_OTLP_ENDPOINT']) delete base[name];
  const child = spawn(command, args, { cwd: root, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

/** Waits until `/v1/health` answers 200; returns how long that took. */
export async function healthy(baseUrl: string, started: CadreProcess, withinMs: number): Promise<number> {
  const began = Date.now();
  for (;;) {
    if (started.child.exitCode !== null) throw new Error(`cadre exited with ${started.child.exitCode}:\n${started.output()}`);
    const ok = await fetch(`${baseUrl}/v1/health`).then((r) => r.status === 200, () => false);
    if (ok) return Date.now() - began;
    if (Date.now() - began > withinMs) throw new Error(`no /v1/health answer within ${withinMs} ms:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** SIGTERM, then the exit (bounded: 20 s). */
export async function stopCadreProcess(started: CadreProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  started.child.kill('SIGTERM');
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit 20 s after SIGTERM:\n${started.output()}`)), 20_000).unref());
  return Promise.race([started.exited, timeout]);
}

/** Kills what is still running (end of a suite). */
export async function killCadreProcess(started: CadreProcess | undefined): Promise<void> {
  if (started && started.child.exitCode === null && started.child.signalCode === null) {
    started.child.kill('SIGKILL');
    await started.exited;
  }
}
