import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

// The dashboard's browser tests drive Debian's Chromium (`apt-get install chromium`) through
// playwright-core: no browser is downloaded. CHROMIUM_PATH points at another binary.

const ROOT = join(__dirname, '..', '..');
const DASHBOARD = join(ROOT, 'services', 'dashboard');
/**
 * Where the tests' screenshots go: docs/screenshots (linked from the README and docs/dashboard.md)
 * with UPDATE_SCREENSHOTS=1, else a folder of the system's temporary one, so a test run leaves
 * the working tree as it found it.
 */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : join(tmpdir(), 'cadre-screenshots');

const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ARGS });
}

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * The gateway serves the dashboard's dist/ (built by `npm ci`'s prepare step). A bundle older
 * than the sources is rebuilt first, so the tests never run yesterday's page.
 */
export function ensureDashboardBuilt(): void {
  const index = join(DASHBOARD, 'dist', 'index.html');
  const sources = Math.max(newest(join(DASHBOARD, 'src')), statSync(join(DASHBOARD, 'index.html')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  // Jest sets NODE_ENV=test, which Vite would keep (React's development build): build as npm ci does.
  execFileSync('npm', ['run', 'build', '-w', '@cadre/dashboard'], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, NODE_ENV: 'production' } });
}

/** A full-page screenshot, `<name>.png` in SCREENSHOTS. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly unknown[] }[];
}

/**
 * The page's WCAG 2 A and AA problems that axe-core (Deque's engine) rates serious or critical:
 * missing labels and names, contrast below 4.5:1, broken ARIA, … Each as "rule: help (elements)".
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // Evaluated through the devtools protocol: the page's Content-Security-Policy forbids injected script tags.
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] }, resultTypes: ['violations'] });
    return result.violations;
  }) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')})`);
}
