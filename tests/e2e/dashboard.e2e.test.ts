import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { registry } from '@cadre/cadre';
import { eventually } from '@cadre/testing';
import { TOTP } from 'otpauth';
import { ADMIN, createMember, login } from '../support/auth';
import { accessibilityProblems, ensureDashboardBuilt, launchBrowser, screenshot } from '../support/browser';
import { call } from '../support/http';
import { createRun, waitForRunStatus } from '../support/runs';
import { openStream } from '../support/sse';
import { launchSwarm, swarmTask } from '../support/swarms';
import { startSystem, type System } from '../support/system';

// The dashboard in Debian's Chromium, against Cadre started in this process: the gateway serves
// the built app at `/`, and the app talks to nothing but the public API and its streams.

const DEMO_STEPS = ['outline', 'draft', 'summary'];

/** Every agent_output chunk of a run from a fresh replay of the stream, joined per step: what the page must show. */
async function replayedOutput(baseUrl: string, token: string, runId: string): Promise<Record<string, string>> {
  const stream = await openStream(baseUrl, { token, lastEventId: 0, query: { run_id: runId } });
  try {
    await eventually(() => expect(stream.events.some((e) => e.event === 'run_complete')).toBe(true), 20_000, 50);
  } finally {
    stream.close();
  }
  const output: Record<string, string> = {};
  for (const event of stream.events.filter((e) => e.event === 'agent_output')) {
    const data = (JSON.parse(event.data) as { data: { step_id: string; chunk: string } }).data;
    output[data.step_id] = (output[data.step_id] ?? '') + data.chunk;
  }
  return output;
}

/** Marks the document; a reload or navigation by the browser loses the mark. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (globalThis as unknown as { cadreTestMark: boolean }).cadreTestMark = true;
  });
}
async function stillSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as { cadreTestMark?: boolean }).cadreTestMark === true);
}

async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').waitFor();
}

describe('the dashboard in a browser', () => {
  let system: System;
  let browser: Browser;
  let admin: BrowserContext;
  let page: Page;
  let adminToken: string;

  beforeAll(async () => {
    ensureDashboardBuilt();
    system = await startSystem({
      transport: 'embedded',
      // Every service of Cadre, as npm start runs them.
      registry,
      orchestration: {},
      // Real loggers (lines go nowhere) so each instance has a log to tail; model output streamed slowly enough to watch.
      logSink: () => undefined,
      // Repositories of the code graph may lie in the temporary folder (the test writes one there).
      env: { CADRE_DRY_RUN_CHUNK_DELAY_MS: '25', SSE_HEARTBEAT_MS: '1000', KNOWLEDGE_REPOSITORY_ROOTS: tmpdir() },
    });
    browser = await launchBrowser();
    admin = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await admin.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('sets up the first admin, keeps the session over a reload, signs out and in again', async () => {
    await page.goto(system.baseUrl);
    await page.getByRole('heading', { name: 'Create the first admin' }).waitFor();
    await screenshot(page, 'setup');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByLabel('Name').fill(ADMIN.name);
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create admin and sign in' }).click();
    await expect(page.getByTestId('who').textContent()).resolves.toContain('admin');
    await page.getByRole('heading', { name: 'Runs' }).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    expect(await page.getByTestId('who').textContent()).toContain(ADMIN.name);
    expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    // Signed out on the server too: the stored refresh token no longer opens a session.
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'sign-in');
    expect(await accessibilityProblems(page)).toEqual([]);

    await signIn(page, system.baseUrl, ADMIN.email, ADMIN.password);
    expect(page.url()).toBe(`${system.baseUrl}/runs`);
    adminToken = (await login(system.baseUrl, ADMIN.email, ADMIN.password)).access_token;
  });

  it('starts the demo pipeline and shows its steps complete and their output without a reload', async () => {
    await page.goto(`${system.baseUrl}/runs`);
    await markDocument(page);
    await page.getByText('Start a run').click();
    await page.locator('select[name="pipeline_id"]').selectOption('demo');
    await page.getByLabel('Task').fill('Write a haiku about queues');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]+$/);
    const runId = page.url().split('/').pop()!;

    for (const step of DEMO_STEPS) {
      await page.locator(`li[data-step="${step}"][data-status="completed"]`).waitFor({ timeout: 30_000 });
    }
    await page.locator('[data-testid="run-status"] [data-status="completed"]').waitFor();
    const expected = await replayedOutput(system.baseUrl, adminToken, runId);
    for (const step of DEMO_STEPS) {
      expect(expected[step]).toBeTruthy();
      expect(await page.locator(`li[data-step="${step}"] [data-testid="stream-output"]`).textContent()).toBe(expected[step]);
      await expect(page.locator(`li[data-step="${step}"] [data-testid="outputs"]`).textContent()).resolves.toContain('dry-run');
    }
    expect(await stillSameDocument(page)).toBe(true);
    await screenshot(page, 'run');
    expect(await accessibilityProblems(page)).toEqual([]);

    // The list shows it, completed.
    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    await page.locator(`tr[data-run="${runId}"] [data-status="completed"]`).waitFor();
    await screenshot(page, 'runs');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('fills in what it missed while the stream was blocked, resuming with Last-Event-ID', async () => {
    const run = await createRun(system.baseUrl, adminToken, { pipeline_id: 'demo', task_description: 'Outline a talk on event sourcing' });
    const streamRequests: Request[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/v1/events/stream')) streamRequests.push(request);
    });
    await page.goto(`${system.baseUrl}/runs/${run.id}`);
    await markDocument(page);
    // The first step is streaming its output on the page…
    await page.locator('li[data-step="outline"] [data-testid="stream-output"]').waitFor();
    // …when the network drops: the browser goes offline (the open stream is cut) and every new
    // attempt at the stream is aborted until it is back.
    await page.route('**/v1/events/stream**', (route) => route.abort('internetdisconnected'));
    await admin.setOffline(true);
    let seenWhileDown: string | null;
    const before = streamRequests.length;
    try {
      await page.locator('[data-stream="reconnecting"]').waitFor();
      seenWhileDown = await page.locator('li[data-step="outline"] [data-testid="stream-output"]').textContent();
      // The run goes on and ends while the page hears nothing.
      await waitForRunStatus(system.baseUrl, adminToken, run.id, 'completed', 30_000);
      expect(await page.locator('li[data-step="summary"][data-status="completed"]').count()).toBe(0);
    } finally {
      await page.unroute('**/v1/events/stream**');
      await admin.setOffline(false);
    }
    for (const step of DEMO_STEPS) await page.locator(`li[data-step="${step}"][data-status="completed"]`).waitFor({ timeout: 20_000 });
    await page.locator('[data-stream="live"]').waitFor();

    // The reconnect asked for what came after the last event the page had.
    const resumed = streamRequests.slice(before).map((r) => r.headers()['last-event-id']).filter((id) => id !== undefined);
    expect(resumed.length).toBeGreaterThan(0);
    expect(Number(resumed[0])).toBeGreaterThan(0);
    // Nothing lost, nothing twice: each step's text equals a fresh replay's, and no reload happened.
    const expected = await replayedOutput(system.baseUrl, adminToken, run.id);
    expect(expected.outline!.startsWith(seenWhileDown ?? '')).toBe(true);
    for (const step of DEMO_STEPS) {
      expect(await page.locator(`li[data-step="${step}"] [data-testid="stream-output"]`).textContent()).toBe(expected[step]);
    }
    expect(await stillSameDocument(page)).toBe(true);
  });

  it('shows a member only their own runs and no admin pages', async () => {
    const alice = await createMember(system.baseUrl, adminToken, 'alice@example.com');
    const bob = await createMember(system.baseUrl, adminToken, 'bob@example.com');
    const alicesOld = await createRun(system.baseUrl, alice.tokens.access_token, { pipeline_id: 'demo', task_description: 'Alice, private' });
    const bobs = await createRun(system.baseUrl, bob.tokens.access_token, { pipeline_id: 'demo', task_description: 'Bob, his own' });

    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const member = await context.newPage();
      await signIn(member, system.baseUrl, 'bob@example.com', 'member password 123');
      await member.locator(`tr[data-run="${bobs.id}"]`).waitFor();
      await member.locator('[data-stream="live"]').waitFor();
      // A run of Alice's started while Bob watches, then one of Bob's: his appears live, hers never.
      const alicesNew = await createRun(system.baseUrl, alice.tokens.access_token, { pipeline_id: 'demo', task_description: 'Alice, later' });
      const bobsNew = await createRun(system.baseUrl, bob.tokens.access_token, { pipeline_id: 'demo', task_description: 'Bob, later' });
      await member.locator(`tr[data-run="${bobsNew.id}"]`).waitFor();
      expect(await member.locator(`tr[data-run="${alicesOld.id}"], tr[data-run="${alicesNew.id}"]`).count()).toBe(0);
      await screenshot(member, 'runs-phone');
    expect(await accessibilityProblems(member)).toEqual([]);

      // Her run's page says it does not exist; the admin pages are neither linked nor shown.
      await member.goto(`${system.baseUrl}/runs/${alicesOld.id}`);
      await member.getByRole('alert').filter({ hasText: /not found/i }).waitFor();
      expect(await member.getByRole('link', { name: 'Operations' }).count()).toBe(0);
      expect(await member.getByRole('link', { name: 'Users' }).count()).toBe(0);
      await member.goto(`${system.baseUrl}/operations`);
      await member.getByText('This page is for admins.').waitFor();
      expect(await member.getByRole('heading', { name: 'Service instances' }).count()).toBe(0);
      await member.goto(`${system.baseUrl}/users`);
      await member.getByText('This page is for admins.').waitFor();
    } finally {
      await context.close();
    }
  });

  it('draws a swarm DAG whose task states change live', async () => {
    const launch = await launchSwarm(system.baseUrl, adminToken, {
      agent_id: 'demo-writer', max_concurrent: 2,
      tasks: [swarmTask('schema'), swarmTask('api', ['schema']), swarmTask('ui', ['schema']), swarmTask('docs', ['api', 'ui'])],
    });
    await page.goto(`${system.baseUrl}/swarms/${launch.swarm_id}`);
    await markDocument(page);
    const graph = page.getByRole('img', { name: /Task graph/ });
    await graph.waitFor();
    const first = await graph.getAttribute('data-states');
    expect(first?.split(' ').sort()).toHaveLength(4);
    // When the page opened, the last task could not have finished: docs waits for api and ui.
    expect(first).not.toContain('docs=completed');
    await eventually(async () => {
      expect(await graph.getAttribute('data-states')).toBe('schema=completed api=completed ui=completed docs=completed');
    }, 30_000, 100);
    await page.locator('[data-testid="swarm-status"] [data-status="completed"]').waitFor();
    expect(await page.locator('tr[data-task][data-status="completed"]').count()).toBe(4);
    expect(await stillSameDocument(page)).toBe(true);
    await screenshot(page, 'swarm');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('tails an instance\'s log and shows a line written after the page opened', async () => {
    await page.goto(`${system.baseUrl}/operations`);
    await page.getByRole('button', { name: 'Tail the log of gateway-test' }).click();
    const log = page.getByTestId('log');
    await log.locator('.line').first().waitFor();
    await page.locator('[data-stream="live"]').waitFor();
    const marker = `after-open-${randomUUID()}`;
    expect(await log.textContent()).not.toContain(marker);
    // A request the gateway logs (its access log line names the path).
    const reply = await call(system.baseUrl, 'GET', `/v1/${marker}`);
    expect(reply.status).toBe(404);
    await log.getByText(marker).first().waitFor({ timeout: 15_000 });
    await screenshot(page, 'operations');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('moves a task across the project board by dragging it, and refuses a move the policy does not allow', async () => {
    const project = await call<{ id: string }>(system.baseUrl, 'POST', '/v1/projects', { token: adminToken, body: { name: 'Website', description: 'A fast site' } });
    const base = `/v1/projects/${project.body.id}`;
    const schema = await call<{ id: string }>(system.baseUrl, 'POST', `${base}/tasks`, { token: adminToken, body: { key: 'SCHEMA', title: 'Content schema', priority: 'P1' } });
    await call(system.baseUrl, 'POST', `${base}/tasks`, { token: adminToken, body: { key: 'PAGES', title: 'Page templates', labels: ['frontend'] } });
    await page.goto(`${system.baseUrl}/projects/${project.body.id}`);
    const card = page.locator('li[data-task="SCHEMA"]');
    await page.locator('[data-column="backlog"] li[data-task="SCHEMA"]').waitFor();

    // Picked up by its title (the card's middle holds its controls).
    await card.dragTo(page.locator('section[data-column="ready"]'), { sourcePosition: { x: 24, y: 12 } });
    await page.locator('[data-column="ready"] li[data-task="SCHEMA"]').waitFor();
    const moved = await call<{ status: string }>(system.baseUrl, 'GET', `${base}/tasks/${schema.body.id}`, { token: adminToken });
    expect(moved.body.status).toBe('ready');

    // ready → done is no transition of the default policy: refused with the reason, the card stays.
    await card.dragTo(page.locator('section[data-column="done"]'), { sourcePosition: { x: 24, y: 12 } });
    await page.getByRole('alert').waitFor();
    expect(await page.locator('[data-column="ready"] li[data-task="SCHEMA"]').count()).toBe(1);
    const kept = await call<{ status: string }>(system.baseUrl, 'GET', `${base}/tasks/${schema.body.id}`, { token: adminToken });
    expect(kept.body.status).toBe('ready');
    await screenshot(page, 'board');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('searches memory saying why each hit matched, and draws a vault\'s links', async () => {
    const save = (vault: string, body: object) => call(system.baseUrl, 'POST', `/v1/memory/vaults/${vault}/memories`, { token: adminToken, body });
    expect((await save('eric', { title: 'Canary first', body: 'Roll out to the canary hosts first. See [[Rollback plan]].', type: 'lesson' })).status).toBe(201);
    expect((await save('eric', { title: 'Rollback plan', body: 'Revert the release tag, then flush the cache.', type: 'decision' })).status).toBe(201);
    await page.goto(`${system.baseUrl}/memory`);
    await page.getByRole('button', { name: 'eric' }).click();
    await page.getByRole('img', { name: '2 memories and 1 links' }).waitFor();
    await page.getByLabel('Words or a question').fill('canary hosts');
    await page.getByRole('button', { name: 'Search' }).click();
    const hit = page.locator('.hits li').filter({ hasText: 'Canary first' });
    await hit.waitFor();
    expect(await hit.textContent()).toContain('Why: matched its words');
    await screenshot(page, 'memory');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('indexes a project\'s repository with live progress, draws its communities, shows a symbol\'s callers and runs a query', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'cadre-dash-repo-'));
    mkdirSync(join(repo, 'src'));
    writeFileSync(join(repo, 'src', 'format.ts'), 'export function formatCents(cents: number): string { return (cents / 100).toFixed(2); }\nexport class Receipt { total(): number { return 0; } }\n');
    writeFileSync(join(repo, 'src', 'billing.ts'), [
      "import { formatCents } from './format';",
      'export function addTax(cents: number): number { return Math.round(cents * 1.2); }',
      'export class Invoice {',
      '  total(): number { return addTax(100); }',
      '  render(): string { return formatCents(this.total()); }',
      '}',
    ].join('\n'));
    writeFileSync(join(repo, 'src', 'main.ts'), "import { Invoice } from './billing';\nexport function main(): void { new Invoice().render(); }\n");
    try {
      await page.goto(`${system.baseUrl}/projects`);
      await page.getByLabel('Name').fill('Billing');
      await page.getByLabel(/^Repository/).fill(repo);
      await page.getByRole('button', { name: 'Create project' }).click();
      await page.getByRole('heading', { name: 'Billing' }).getByRole('link').click();
      await page.getByRole('link', { name: 'Code graph' }).click();
      await page.getByRole('heading', { name: 'Billing: code graph' }).waitFor();
      await page.locator('[data-stream="live"]').waitFor();

      await page.getByRole('button', { name: 'Index repository' }).click();
      const job = page.locator('[data-testid="index-job"][data-status="complete"]');
      await job.waitFor({ timeout: 15_000 });
      const progress = page.getByRole('progressbar', { name: 'Index progress' });
      expect(await progress.evaluate((bar) => [(bar as unknown as { value: number }).value, (bar as unknown as { max: number }).max])).toEqual([10, 10]);
      expect(await job.textContent()).toContain('3 parsed');

      // The communities the API reports, each drawn as a node of the graph.
      const projectId = page.url().split('/').at(-2)!;
      const communities = await call<{ communities: { id: number }[] }>(system.baseUrl, 'GET', `/v1/projects/${projectId}/knowledge-graph/communities`, { token: adminToken });
      expect(communities.body.communities.length).toBeGreaterThan(0);
      const drawn = page.getByRole('img', { name: new RegExp(`^${communities.body.communities.length} communities`) });
      await drawn.waitFor();
      await eventually(async () => expect((await drawn.getAttribute('data-states'))?.split(' ').map((s) => s.split('=')[0]).sort())
        .toEqual(communities.body.communities.map((c) => `c${c.id}`).sort()));

      await page.getByRole('textbox', { name: /^Symbol/ }).fill('formatCents');
      await page.getByRole('button', { name: 'Show context' }).click();
      await page.locator('[data-testid="callers"] tr[data-symbol="Invoice.render"]').waitFor();
      expect(await page.locator('[data-testid="callers"] tbody tr').count()).toBe(1);
      expect(await page.locator('[data-testid="context"] h3').first().textContent()).toContain('src/format.ts');
      // An ambiguous name lists its candidates; picking one shows its context.
      await page.getByRole('textbox', { name: /^Symbol/ }).fill('total');
      await page.getByRole('button', { name: 'Show context' }).click();
      const candidates = page.getByTestId('candidates');
      await candidates.getByRole('button', { name: 'Receipt.total' }).waitFor();
      await candidates.getByRole('button', { name: 'Invoice.total' }).click();
      await page.locator('[data-testid="callers"] tr[data-symbol="Invoice.render"]').waitFor();
      expect(await page.locator('[data-testid="context"] h3').first().textContent()).toContain('src/billing.ts');
      await page.getByRole('textbox', { name: /^Symbol/ }).fill('formatCents');
      await page.getByRole('button', { name: 'Show context' }).click();
      await page.locator('[data-testid="context"] h3', { hasText: 'src/format.ts' }).waitFor();
      await page.getByRole('button', { name: 'Analyse impact' }).click();
      await page.locator('[data-testid="impact"] [data-testid="depth-1"] tr[data-symbol="Invoice.render"]').waitFor();
      expect(await page.locator('[data-testid="impact"] [data-risk]').getAttribute('data-risk')).toMatch(/^(LOW|MEDIUM|HIGH|CRITICAL)$/);

      const box = page.getByRole('textbox', { name: /^Words to search, or a query/ });
      await box.fill('MATCH (n) DETACH DELETE n');
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      expect(await page.getByTestId('query-error').textContent()).toContain('query_not_read_only');
      await box.fill("MATCH (f)-[:CALLS]->(g {name: 'addTax'}) RETURN f.qualified_name AS caller, g.file AS file");
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      const rows = page.getByTestId('query-rows');
      await rows.waitFor();
      expect(await rows.locator('th').allTextContents()).toEqual(['caller', 'file']);
      expect(await rows.locator('tbody tr').allTextContents()).toEqual(['Invoice.totalsrc/billing.ts']);
      expect(await page.getByTestId('query-error').count()).toBe(0);
      await screenshot(page, 'knowledge');
      expect(await accessibilityProblems(page)).toEqual([]);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('adds a user and changes their role (admin), creates an API key shown once that works, then revokes it', async () => {
    await page.goto(`${system.baseUrl}/users`);
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Add a user' }) });
    await form.getByLabel('E-mail').fill('carol@example.com');
    await form.getByLabel('Password').fill('carol password 123');
    await form.getByRole('button', { name: 'Add user' }).click();
    await page.locator('tr[data-user="carol@example.com"]').waitFor();
    await page.getByLabel('Role of carol@example.com').selectOption('admin');
    await eventually(async () => {
      const users = await call<{ users: { email: string; role: string }[] }>(system.baseUrl, 'GET', '/v1/users', { token: adminToken });
      expect(users.body.users.find((u) => u.email === 'carol@example.com')?.role).toBe('admin');
    }, 10_000, 100);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'users');

    await page.goto(`${system.baseUrl}/account`);
    await page.getByLabel('Name of a new key').fill('deploy bot');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').textContent())!;
    expect((await call(system.baseUrl, 'GET', '/v1/auth/me', { token: key })).status).toBe(200);
    await page.getByRole('button', { name: 'Revoke deploy bot' }).click();
    await eventually(async () => expect((await call(system.baseUrl, 'GET', '/v1/auth/me', { token: key })).status).toBe(401), 10_000, 100);
    // The page lists the keys again once its DELETE is answered: that can come after the key is refused.
    await page.getByRole('button', { name: 'Revoke deploy bot' }).waitFor({ state: 'detached', timeout: 10_000 });
    expect(await page.getByRole('button', { name: 'Revoke deploy bot' }).count()).toBe(0);
  });

  it('turns on two-factor sign-in from the account page, then asks for a code at sign-in', async () => {
    await page.goto(`${system.baseUrl}/account`);
    await page.getByLabel('Your password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent())!;
    const totp = new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' });
    await page.getByLabel('Code').fill(totp.generate());
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, 'account');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('E-mail').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Two-factor code' }).waitFor();
    // A wrong code is refused; the right one signs in. (A code works once: the one that turned
    // 2FA on is spent, so this is the next period's, which the server takes for clock drift.)
    const next = totp.generate({ timestamp: Date.now() + 30_000 });
    await page.getByLabel('Code from your authenticator app').fill(String((Number(next) + 1) % 1_000_000).padStart(6, '0'));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Code from your authenticator app').fill(next);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByTestId('who').waitFor();
  });
});
