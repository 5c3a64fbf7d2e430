import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testing } from '@cadre/llm';
import { eventually, freePort } from '@cadre/testing';
import { workerFlow } from '../fixtures/pipelines';
import { ADMIN, setupAdmin } from '../support/auth';
import { CADRE_BIN as BIN, ROOT, cliRunner } from '../support/cli';
import { call } from '../support/http';
import { createPipeline, providerEnv } from '../support/runs';
import { startSystem, type System } from '../support/system';


describe('the cadre CLI against a running system', () => {
  let server: testing.ScriptedServer;
  let system: System;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcessWithoutNullStreams[] = [];

  const { start, cadre, json } = cliRunner(() => env, (child) => children.push(child));

  beforeAll(async () => {
    server = await testing.startScriptedServer();
    server.respondWith(() => testing.openAiStream({ toolCalls: [{ id: 'c1', name: 'complete', args: '{"result":"done"}' }] }));
    system = await startSystem({ transport: 'nats', env: providerEnv(server), orchestration: {} });
    const admin = (await setupAdmin(system.baseUrl)).access_token;
    await createPipeline(system.baseUrl, admin, workerFlow('cli-flow', 1));
    home = await mkdtemp(join(tmpdir(), 'cadre-cli-'));
    const { CADRE_URL: _url, CADRE_TOKEN: _token, ...rest } = process.env;
    env = { ...rest, CADRE_CONFIG: join(home, 'config.json') };
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await system?.stop();
    await server?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('signs in and keeps the URL and tokens in its config file, readable by its owner only', async () => {
    const result = await cadre('login', '--url', system.baseUrl, '--email', ADMIN.email, '--password', ADMIN.password);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Signed in to ${system.baseUrl} as ${ADMIN.email} (admin)`);
    const config = JSON.parse(await readFile(env.CADRE_CONFIG!, 'utf8')) as Record<string, string>;
    expect(config).toMatchObject({ url: system.baseUrl, email: ADMIN.email });
    expect(config.access_token).toEqual(expect.any(String));
    expect((await stat(env.CADRE_CONFIG!)).mode & 0o077).toBe(0);
  });

  it('creates, lists and gets runs, readable and as JSON', async () => {
    const created = await json<{ id: string; pipeline_id: string }>('runs', 'create', '--pipeline', 'cli-flow', '--task', 'Write the docs');
    expect(created.pipeline_id).toBe('cli-flow');

    const listed = await json<{ runs: Array<{ id: string }> }>('runs', 'list', '--pipeline', 'cli-flow');
    expect(listed.runs.map((r) => r.id)).toContain(created.id);
    const table = await cadre('runs', 'list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+PIPELINE\s+STATUS/);
    expect(table.stdout).toContain(created.id);

    const detail = await eventually(async () => {
      const run = await json<{ id: string; status: string; steps: unknown[] }>('runs', 'get', created.id);
      expect(run.status).toBe('completed');
      return run;
    }, 30_000);
    expect(detail.id).toBe(created.id);
    const readable = await cadre('runs', 'get', created.id);
    expect(readable.stdout).toContain(`Run       ${created.id}`);
    expect(readable.stdout).toContain('Status    completed');
  });

  it('reports an error with its code and a non-zero exit', async () => {
    const result = await cadre('runs', 'get', 'no-such-run');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not_found/);
    expect((await cadre('runs', 'frobnicate')).code).toBe(2);
  });

  it('tails events and, after the connection drops, resumes with Last-Event-ID: every event once, in order', async () => {
    const tail = start(['events', 'tail', '--types', 'run_created', '--json', '--retry-ms', '100']);
    let out = '';
    let err = '';
    tail.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    tail.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const events = () => out.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { id: number; event: string; data: { run_id: string } });
    // The tail starts at "now": wait until it is connected before the first run.
    await eventually(() => expect(system.gateway.sseStats().clients).toBeGreaterThan(0), 20_000);

    const token = JSON.parse(await readFile(env.CADRE_CONFIG!, 'utf8')).access_token as string;
    const create = async (task: string): Promise<string> => {
      // The test's own keep-alive connection is cut too: a request on it fails before it is sent.
      const reply = await eventually(() => call<{ id: string }>(system.baseUrl, 'POST', '/v1/runs', { token, body: { pipeline_id: 'cli-flow', task_description: task } }));
      expect(reply.status).toBe(201);
      return reply.body.id;
    };
    const first = await create('first');
    await eventually(() => expect(events().map((e) => e.data.run_id)).toContain(first));

    // Every connection of the gateway is cut; a run is created while the CLI is away.
    system.gateway.server.closeAllConnections();
    const second = await create('second');
    await eventually(() => expect(err).toMatch(/reconnecting/));
    const third = await create('third');
    await eventually(() => expect(events().map((e) => e.data.run_id)).toEqual(expect.arrayContaining([first, second, third])), 20_000);

    const seen = events();
    expect(seen.every((e) => e.event === 'run_created')).toBe(true);
    const ids = seen.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    for (const run of [first, second, third]) expect(seen.filter((e) => e.data.run_id === run)).toHaveLength(1);

    const exited = new Promise<number | null>((resolve) => tail.once('exit', (code) => resolve(code)));
    tail.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('lists containers and shows an instance\'s log lines', async () => {
    const list = await json<{ containers: Array<{ id: string; service: string; status: string }> }>('containers');
    expect(list.containers.map((c) => c.service)).toEqual(expect.arrayContaining(['gateway', 'identity']));
    const gateway = list.containers.find((c) => c.service === 'gateway')!;
    const logs = await cadre('logs', gateway.id, '--tail', '5');
    expect(logs.code).toBe(0);
  });
});

describe('cadre up', () => {
  it('starts all of Cadre through npm start\'s entry point and stops on SIGTERM with exit 0', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cadre-up-'));
    // Like a user's project folder: others may traverse it (as root, Postgres runs as `postgres`).
    await chmod(dataDir, 0o755);
    const port = await freePort();
    const base = { ...process.env };
    for (const name of ['DATABASE_URL', 'NATS_URL', 'CADRE_TEST_PG_URL', 'OTEL_EXPORTER_OTLP_ENDPOINT']) delete base[name];
    const child = spawn(process.execPath, [BIN, 'up'], { cwd: ROOT, env: { ...base, CADRE_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await eventually(async () => expect((await call(`http://127.0.0.1:${port}`, 'GET', '/v1/health')).status).toBe(200), 60_000, 250);
      expect(output).toContain('/v1/auth/setup');
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) console.log(output.slice(-3000));
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
