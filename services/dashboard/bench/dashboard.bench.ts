import { performance } from 'node:perf_hooks';
import type { Browser, Page } from 'playwright-core';
import { fmt, percentile, ratio, runAlone, verdict, type BenchResult, type Headline } from '../../../bench/stats';
import { ADMIN, login, setupAdmin } from '../../../tests/support/auth';
import { ensureDashboardBuilt, launchBrowser } from '../../../tests/support/browser';
import { publishMany } from '../../../tests/support/events';
import { eventually } from '@cadre/testing';
import { call } from '../../../tests/support/http';
import { createRun } from '../../../tests/support/runs';
import { startSystem, type System } from '../../../tests/support/system';

// The dashboard in Debian's Chromium against Cadre in this process (embedded: one Postgres, the
// in-process bus), as `npm start` runs it. Each page load is a fresh browser context (no cache).

const SAMPLES = 10;
const RUNS_LISTED = 100;
const EXTRA_EVENTS = 1_000;

/** Opens `path` in a fresh context (signed in when `refresh` is given); ms until `ready` is visible. */
async function timeToReady(
  browser: Browser, url: string, ready: (page: Page) => Promise<unknown>, refresh?: string, after?: (page: Page) => Promise<unknown>,
): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  try {
    if (refresh !== undefined) {
      await context.addInitScript(`localStorage.setItem('cadre.refresh_token', ${JSON.stringify(refresh)})`);
    }
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(url, { waitUntil: 'commit' });
    await ready(page);
    const elapsed = performance.now() - t0;
    await after?.(page);
    return elapsed;
  } finally {
    await context.close();
  }
}

// Written as text: tsx would wrap a function given to page.evaluate with helpers the page lacks.
const SCROLL = `(duration) => new Promise((resolve) => {
  const intervals = [];
  const height = document.documentElement.scrollHeight - innerHeight;
  let start, last;
  const frame = (t) => {
    if (start === undefined) start = t;
    if (last !== undefined) intervals.push(t - last);
    last = t;
    const progress = Math.min(1, (t - start) / duration);
    scrollTo(0, height * progress);
    if (progress < 1) requestAnimationFrame(frame); else resolve(intervals);
  };
  requestAnimationFrame(frame);
})`;

/** Frame intervals (ms) while the page scrolls from top to bottom in `ms`, measured in the page with requestAnimationFrame. */
async function scrollFrames(page: Page, ms: number): Promise<number[]> {
  return page.evaluate(`(${SCROLL})(${ms})`) as Promise<number[]>;
}

export async function run(): Promise<BenchResult> {
  ensureDashboardBuilt();
  const system: System = await startSystem({ transport: 'embedded', orchestration: {} });
  const browser = await launchBrowser();
  try {
    const base = system.baseUrl;
    await setupAdmin(base);
    const token = (await login(base, ADMIN.email, ADMIN.password)).access_token;

    // 1. The sign-in page until its form takes input; baseline: the browser loading a small JSON answer of the same gateway.
    const floor: number[] = [];
    const signIn: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      floor.push(await timeToReady(browser, `${base}/v1/health`, (page) => page.waitForLoadState('load')));
      signIn.push(await timeToReady(browser, base, (page) => page.getByRole('button', { name: 'Sign in' }).waitFor()));
    }

    // 2. Signed in (a reload: the stored refresh token), the runs page with its 100 runs listed and its stream live.
    const runs = [];
    for (let i = 0; i < RUNS_LISTED; i++) runs.push(await createRun(base, token, { pipeline_id: 'demo', task_description: `bench run ${i}` }));
    await eventually(async () => {
      const done = await call<{ total: number }>(base, 'GET', '/v1/runs?status=completed&limit=1', { token });
      if (done.body.total !== RUNS_LISTED) throw new Error(`${done.body.total} of ${RUNS_LISTED} runs completed`);
    }, 120_000, 250);
    const listed: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const refresh = (await login(base, ADMIN.email, ADMIN.password)).refresh_token;
      listed.push(await timeToReady(browser, `${base}/runs`, async (page) => {
        await page.locator('table[aria-label="Runs"] tbody tr').nth(RUNS_LISTED - 1).waitFor();
        await page.locator('[data-stream="live"]').waitFor();
      }, refresh));
    }

    // 3. A run page replaying 1,000 more output events than a demo run has; baseline: a demo run's page.
    const plain = runs[0]!;
    const big = runs[1]!;
    let seqs = await publishMany(system.bus, EXTRA_EVENTS, (i) => ({
      domain: 'agents', type: 'agent_output', scope: big.id,
      data: { run_id: big.id, step_id: 'draft', agent_id: 'demo-writer', chunk: ` word${i}` },
    }));
    const lastChunk = ` word${EXTRA_EVENTS - 1}`;
    seqs = seqs.slice(-1);
    const plainPage: number[] = [];
    const bigPage: number[] = [];
    const frames: number[] = [];
    const baselineFrames: number[] = [];
    for (let i = 0; i < Math.ceil(SAMPLES / 2); i++) {
      const refresh = (await login(base, ADMIN.email, ADMIN.password)).refresh_token;
      plainPage.push(await timeToReady(browser, `${base}/runs/${plain.id}`, (page) => page.locator('li[data-step="summary"] [data-testid="outputs"]').waitFor(), refresh));
      const again = (await login(base, ADMIN.email, ADMIN.password)).refresh_token;
      bigPage.push(await timeToReady(browser, `${base}/runs/${big.id}`, async (page) => {
        await page.locator('li[data-step="draft"] [data-testid="stream-output"]').filter({ hasText: lastChunk }).waitFor();
        await page.locator('li[data-step="summary"] [data-testid="outputs"]').waitFor();
      }, again, async (page) => frames.push(...(await scrollFrames(page, 1_000)))));
    }
    // Baseline of the frames: the demo run's (short) page scrolled the same way.
    {
      const context = await browser.newContext({ viewport: { width: 1280, height: 500 } });
      const refresh = (await login(base, ADMIN.email, ADMIN.password)).refresh_token;
      await context.addInitScript(`localStorage.setItem('cadre.refresh_token', ${JSON.stringify(refresh)})`);
      const page = await context.newPage();
      await page.goto(`${base}/runs/${plain.id}`);
      await page.locator('li[data-step="summary"] [data-testid="outputs"]').waitFor();
      baselineFrames.push(...(await scrollFrames(page, 1_000)));
      await context.close();
    }

    const p50 = (xs: number[]) => percentile(xs, 50);
    const p95 = (xs: number[]) => percentile(xs, 95);
    const headlines: Headline[] = [
      { figure: 'dashboard: sign-in page interactive (p50)', value: `${fmt(p50(signIn), 0)} ms`, baseline: `${fmt(p50(floor), 0)} ms (a JSON answer)`, ratio: ratio(p50(signIn), p50(floor)), target: '< 1000 ms', verdict: verdict(p50(signIn) < 1000) },
      { figure: `dashboard: runs page with ${RUNS_LISTED} runs, signed in by refresh (p50)`, value: `${fmt(p50(listed), 0)} ms`, baseline: `${fmt(p50(floor), 0)} ms (a JSON answer)`, ratio: ratio(p50(listed), p50(floor)), target: '< 1000 ms', verdict: verdict(p50(listed) < 1000) },
      { figure: `dashboard: run page replaying ${EXTRA_EVENTS} more events (p50)`, value: `${fmt(p50(bigPage), 0)} ms`, baseline: `${fmt(p50(plainPage), 0)} ms (a demo run)`, ratio: ratio(p50(bigPage), p50(plainPage)), target: '–', verdict: '–' },
      { figure: `dashboard: scrolling that run page, frame interval p95`, value: `${fmt(p95(frames), 1)} ms`, baseline: `${fmt(p95(baselineFrames), 1)} ms (a demo run's page)`, ratio: ratio(p95(frames), p95(baselineFrames)), target: '≤ 1.5× baseline (smooth)', verdict: verdict(p95(frames) <= 1.5 * p95(baselineFrames)) },
    ];
    const row = (name: string, xs: number[]) => `| ${name} | ${xs.length} | ${fmt(p50(xs), 0)} | ${fmt(p95(xs), 0)} | ${fmt(Math.max(...xs), 0)} |`;
    const section = [
      '## Dashboard: page loads and a 1,000-event run page',
      '',
      `Debian's Chromium (headless, through playwright-core) against Cadre in one process (embedded Postgres and bus); every load in a fresh browser context (nothing cached), timed from navigation to the named element visible. Last stream sequence ${seqs[0] ?? '–'}.`,
      '',
      '| page (until) | samples | p50 ms | p95 ms | max ms |',
      '|---|---:|---:|---:|---:|',
      row('baseline: `/v1/health` (load event)', floor),
      row('sign-in page (its button shown)', signIn),
      row(`runs page, signed in by refresh (${RUNS_LISTED} rows, stream live)`, listed),
      row('baseline: a demo run page (its last output shown)', plainPage),
      row(`run page with ${EXTRA_EVENTS} more output events (the last one shown)`, bigPage),
      '',
      `Scrolling top to bottom in 1 s, frame intervals (ms): ${EXTRA_EVENTS}-event run page p50 ${fmt(p50(frames), 1)}, p95 ${fmt(p95(frames), 1)}, max ${fmt(Math.max(...frames), 1)}; baseline (a demo run page in a 500 px high window) p50 ${fmt(p50(baselineFrames), 1)}, p95 ${fmt(p95(baselineFrames), 1)}.`,
    ].join('\n');
    return { section, headlines };
  } finally {
    await browser.close();
    await system.stop();
  }
}

if (require.main === module) runAlone(run);
