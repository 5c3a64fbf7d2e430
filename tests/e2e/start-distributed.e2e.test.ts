import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { RunView } from '@cadre/proto';
import { createTestDatabase, eventually, freePort, startNats, type TestDatabase, type TestNats } from '@cadre/testing';
import { ADMIN, login, setupAdmin } from '../support/auth';
import { call } from '../support/http';

const ROOT = join(__dirname, '..', '..');
const SERVICES = ['identity', 'runs', 'agents', 'gateway'] as const;

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly probePort: number;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** One service as its own process, the way a container runs it: the one entry point with its name, configured by env. */
function startService(name: string, env: Record<string, string>, probePort: number): Proc {
  const base = { ...process.env };
  delete base.CADRE_TEST_PG_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/cadre/src/main.ts', name], {
    cwd: ROOT, env: { ...base, ...env, METRICS_PORT: String(probePort), LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, probePort, output: () => output, exited };
}

async function status(url: string): Promise<number> {
  return fetch(url).then((r) => r.status, () => 0);
}

describe('distributed mode: every service in a process of its own on NATS and Postgres', () => {
  let nats: TestNats;
  let database: TestDatabase;
  const procs: Proc[] = [];
  let baseUrl = '';

  beforeAll(async () => {
    nats = await startNats();
    database = await createTestDatabase('cadre_distributed');
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const env = { DATABASE_URL: database.url, NATS_URL: nats.url, PORT: String(port), HOST: '127.0.0.1' };
    for (const name of SERVICES) procs.push(startService(name, env, await freePort()));
  });
  afterAll(async () => {
    for (const proc of procs) if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    await Promise.all(procs.map((proc) => proc.exited));
    await database?.dispose();
    await nats?.dispose();
  });

  it('gets every service ready, completes a demo run through HTTP, and stops each on SIGTERM', async () => {
    const report = () => procs.map((p) => `--- ${p.name} (exit ${p.child.exitCode})\n${p.output()}`).join('\n');
    try {
      await eventually(async () => {
        for (const proc of procs) {
          if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited`);
          expect(await status(`http://127.0.0.1:${proc.probePort}/healthz`)).toBe(200);
          expect(await status(`http://127.0.0.1:${proc.probePort}/readyz`)).toBe(200);
        }
        expect(await status(`${baseUrl}/v1/ready`)).toBe(200);
      }, 60_000, 250);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${report()}`);
    }

    await setupAdmin(baseUrl);
    const tokens = await login(baseUrl, ADMIN.email, ADMIN.password);
    const created = await call<RunView>(baseUrl, 'POST', '/v1/runs', {
      token: tokens.access_token, body: { pipeline_id: 'demo', task_description: 'Say hello from every process' },
    });
    expect(created.status).toBe(201);
    await eventually(async () => {
      const run = await call<RunView>(baseUrl, 'GET', `/v1/runs/${created.body.id}`, { token: tokens.access_token });
      expect(run.body.status).toBe('completed');
    }, 60_000, 250);

    // The gateway first, as a rolling update or scale-down would; each drains and exits 0.
    for (const proc of [...procs].reverse()) {
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    }
  });
});
