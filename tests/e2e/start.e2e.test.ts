import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunView, TokenPair } from '@cadre/proto';
import { eventually, freePort } from '@cadre/testing';
import { ADMIN, login, setupAdmin } from '../support/auth';
import { healthy, killCadreProcess, startCadreProcess as start, stopCadreProcess as stop, type CadreProcess } from '../support/cadre-process';
import { call } from '../support/http';
import { openStream } from '../support/sse';

describe('npm start (embedded mode)', () => {
  // Like a user's project folder: others may traverse it (as root, Postgres runs as `postgres`).
  const dataDir = mkdtempSync(join(tmpdir(), 'cadre-start-'));
  chmodSync(dataDir, 0o755);
  let running: CadreProcess | undefined;
  let baseUrl = '';
  let env: Record<string, string> = {};

  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    env = { CADRE_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await killCadreProcess(running);
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
