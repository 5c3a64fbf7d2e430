import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunView, TokenPair } from '@cadre/proto';
import { eventually, freePort } from '@cadre/testing';
import { ADMIN, login, setupAdmin } from '../support/auth';
import { call } from '../support/http';
import { openStream } from '../support/sse';

const ROOT = join(__dirname, '..', '..');

/** `npm start`'s own command (package.json), run directly so the test signals the process itself, not npm. */
function startCommand(): { command: string; args: string[] } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [command, ...args] = pkg.scripts.start!.split(' ');
  return { command: command!, args };
}

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(env: Record<string, string>): Started {
  const { command, args } = startCommand();
  const base = { ...process.env };
  // Embedded defaults: no database or NATS from this machine's environment.
  for (const name of ['DATABASE_URL', 'NATS_URL', 'CADRE_TEST_PG_URL', 'OTEL_EXPORTER_OTLP_ENDPOINT']) delete base[name];
  const child = spawn(command, args, { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

async function healthy(baseUrl: string, started: Started, withinMs: number): Promise<number> {
  const began = Date.now();
  for (;;) {
    if (started.child.exitCode !== null) throw new Error(`cadre exited with ${started.child.exitCode}:\n${started.output()}`);
    const ok = await fetch(`${baseUrl}/v1/health`).then((r) => r.status === 200, () => false);
    if (ok) return Date.now() - began;
    if (Date.now() - began > withinMs) throw new Error(`no /v1/health answer within ${withinMs} ms:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function stop(started: Started): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  started.child.kill('SIGTERM');
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit 20 s after SIGTERM:\n${started.output()}`)), 20_000).unref());
  return Promise.race([started.exited, timeout]);
}

describe('npm start (embedded mode)', () => {
  // Like a user's project folder: others may traverse it (as root, Postgres runs as `postgres`).
  const dataDir = mkdtempSync(join(tmpdir(), 'cadre-start-'));
  chmodSync(dataDir, 0o755);
  let running: Started | undefined;
  let baseUrl = '';
  let env: Record<string, string> = {};

  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    env = { CADRE_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers /v1/health within 30 s, runs the demo pipeline, stops on SIGTERM and keeps everything across a restart', async () => {
    running = start(env);
    await healthy(baseUrl, running, 30_000);
    expect(running.output()).toContain('/v1/auth/setup');

    await setupAdmin(baseUrl);
    const tokens: TokenPair = await login(baseUrl, ADMIN.email, ADMIN.password);
    const created = await call<RunView>(baseUrl, 'POST', '/v1/runs', {
      token: tokens.access_token, body: { pipeline_id: 'demo', task_description: 'Say hello from the start test' },
    });
    expect(created.status).toBe(201);
    const runId = created.body.id;
    await eventually(async () => {
      const run = await call<RunView>(baseUrl, 'GET', `/v1/runs/${runId}`, { token: tokens.access_token });
      expect(run.body.status).toBe('completed');
    }, 60_000, 250);
    const before = await openStream(baseUrl, { token: tokens.access_token, lastEventId: 0, query: { run_id: runId } });
    await eventually(() => expect(before.events.map((e) => e.event)).toContain('run_complete'));
    const eventsBefore = before.events.map((e) => ({ id: e.id, event: e.event }));
    before.close();

    expect(await stop(running)).toEqual({ code: 0, signal: null });

    running = start(env);
    await healthy(baseUrl, running, 30_000);
    const again = await login(baseUrl, ADMIN.email, ADMIN.password);
    const run = await call<RunView>(baseUrl, 'GET', `/v1/runs/${runId}`, { token: again.access_token });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ id: runId, pipeline_id: 'demo', status: 'completed' });
    const after = await openStream(baseUrl, { token: again.access_token, lastEventId: 0, query: { run_id: runId } });
    await eventually(() => expect(after.events.length).toBeGreaterThanOrEqual(eventsBefore.length));
    expect(after.events.map((e) => ({ id: e.id, event: e.event })).slice(0, eventsBefore.length)).toEqual(eventsBefore);
    after.close();
    // The first admin exists already: setup is closed.
    expect((await call(baseUrl, 'POST', '/v1/auth/setup', { body: ADMIN })).status).toBe(409);

    expect(await stop(running)).toEqual({ code: 0, signal: null });
  });
});
