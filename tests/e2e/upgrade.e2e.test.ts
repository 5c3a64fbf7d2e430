import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunView } from '@cadre/proto';
import { eventually, freePort } from '@cadre/testing';
import { ADMIN, createMember, login, setupAdmin } from '../support/auth';
import { healthy, killCadreProcess, startCadreProcess, stopCadreProcess, type CadreProcess } from '../support/cadre-process';
import { call } from '../support/http';
import { openStream, type SseEvent } from '../support/sse';

const ROOT = join(__dirname, '..', '..');

/**
 * The last release before services became definitions of the kit (its runs and agents tables
 * were made by hand-written `create table if not exists`, with no migration bookkeeping).
 */
const PREVIOUS_RELEASE = '417740d';

/** The previous release's tree, from this repository's history, sharing this tree's dependencies. */
function checkOut(commit: string, into: string): void {
  try {
    execFileSync('git', ['cat-file', '-e', `${commit}^{commit}`], { cwd: ROOT, stdio: 'pipe' });
  } catch {
    throw new Error(`commit ${commit} is not in this clone's history: the upgrade test needs it (a shallow clone? fetch with full history)`);
  }
  mkdirSync(into, { recursive: true });
  const archive = execFileSync('git', ['archive', '--format=tar', commit], { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', into], { input: archive });
  symlinkSync(join(ROOT, 'node_modules'), join(into, 'node_modules'));
}

const all = (events: readonly SseEvent[]) => events.map((e) => ({ id: e.id, event: e.event }));

describe('upgrading a data folder written by the previous release', () => {
  const work = mkdtempSync(join(tmpdir(), 'cadre-upgrade-'));
  // Like a user's project folder: others may traverse it (as root, Postgres runs as `postgres`).
  chmodSync(work, 0o755);
  const dataDir = join(work, 'data');
  const previous = join(work, 'previous');
  let running: CadreProcess | undefined;

  afterAll(async () => {
    await killCadreProcess(running);
    rmSync(work, { recursive: true, force: true });
  });

  it('keeps every user, run and event, and both users sign in as before', async () => {
    checkOut(PREVIOUS_RELEASE, previous);
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const env = { CADRE_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };

    // The previous release writes the folder: an admin, a member, a run of each.
    running = startCadreProcess(env, previous);
    await healthy(baseUrl, running, 60_000);
    const admin = (await setupAdmin(baseUrl)).access_token;
    const member = await createMember(baseUrl, admin, 'member@example.com');
    const runs: Record<'admin' | 'member', string> = { admin: '', member: '' };
    for (const [who, token] of [['admin', admin], ['member', member.tokens.access_token]] as const) {
      const created = await call<RunView>(baseUrl, 'POST', '/v1/runs', { token, body: { pipeline_id: 'demo', task_description: `written by the previous release for ${who}` } });
      expect(created.status).toBe(201);
      runs[who] = created.body.id;
    }
    for (const runId of Object.values(runs)) {
      await eventually(async () => expect((await call<RunView>(baseUrl, 'GET', `/v1/runs/${runId}`, { token: admin })).body.status).toBe('completed'), 60_000, 250);
    }
    const before = await openStream(baseUrl, { token: admin, lastEventId: 0 });
    await eventually(() => expect(before.events.filter((e) => e.event === 'run_complete')).toHaveLength(2), 20_000);
    // Everything the relays had to publish is on the stream: read the head once more after a pause.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const eventsBefore = all(before.events);
    before.close();
    expect(await stopCadreProcess(running)).toEqual({ code: 0, signal: null });

    // This release opens the same folder.
    running = startCadreProcess(env);
    await healthy(baseUrl, running, 60_000);
    const adminAgain = (await login(baseUrl, ADMIN.email, ADMIN.password)).access_token;
    const memberAgain = (await login(baseUrl, 'member@example.com', 'member password 123')).access_token;
    const users = await call<{ users: Array<{ email: string }> }>(baseUrl, 'GET', '/v1/users', { token: adminAgain });
    expect(users.body.users.map((u) => u.email).sort()).toEqual([ADMIN.email, 'member@example.com']);

    for (const runId of Object.values(runs)) {
      const run = await call<RunView>(baseUrl, 'GET', `/v1/runs/${runId}`, { token: adminAgain });
      expect(run.status).toBe(200);
      expect(run.body).toMatchObject({ id: runId, pipeline_id: 'demo', status: 'completed' });
    }
    // The member's own run is still theirs.
    expect((await call<RunView>(baseUrl, 'GET', `/v1/runs/${runs.member}`, { token: memberAgain })).status).toBe(200);

    // Every event is still on the stream, with the same ids, in the same order.
    const after = await openStream(baseUrl, { token: adminAgain, lastEventId: 0 });
    await eventually(() => expect(after.events.length).toBeGreaterThanOrEqual(eventsBefore.length), 20_000);
    expect(all(after.events).slice(0, eventsBefore.length)).toEqual(eventsBefore);
    after.close();

    // And the upgraded system works on: a new run completes.
    const next = await call<RunView>(baseUrl, 'POST', '/v1/runs', { token: memberAgain, body: { pipeline_id: 'demo', task_description: 'after the upgrade' } });
    expect(next.status).toBe(201);
    await eventually(async () => expect((await call<RunView>(baseUrl, 'GET', `/v1/runs/${next.body.id}`, { token: memberAgain })).body.status).toBe('completed'), 60_000, 250);
    expect(await stopCadreProcess(running)).toEqual({ code: 0, signal: null });
  });
});
