import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { dashboardRouter, findDashboard } from './static';

async function serve(dir: string | undefined): Promise<{ url: string; close(): void }> {
  const app = express();
  app.use(dashboardRouter(dir));
  app.use((_req, res) => {
    res.status(404).json({ error: 'Not found', code: 'not_found' });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

describe('the dashboard files the gateway serves', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dashboard-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Cadre</title>');
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');

  it('answers the page at / and at the app\'s own paths a browser asks for, with a CSP and no caching', async () => {
    const server = await serve(dir);
    try {
      for (const [path, accept] of [['/', '*/*'], ['/runs/123', 'text/html,application/xhtml+xml'], ['/swarms', 'text/html']] as const) {
        const res = await fetch(`${server.url}${path}`, { headers: { accept } });
        expect(res.status).toBe(200);
        expect(await res.text()).toContain('<title>Cadre</title>');
        expect(res.headers.get('cache-control')).toBe('no-cache');
        expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      }
    } finally {
      server.close();
    }
  });

  it('caches hashed assets for a year, answers a missing asset 404, and leaves /v1, /docs and non-page requests alone', async () => {
    const server = await serve(dir);
    try {
      const asset = await fetch(`${server.url}/assets/index-abc123.js`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const missing = await fetch(`${server.url}/assets/missing.js`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: 'Not found', code: 'not_found' });
      for (const [path, accept] of [['/v1/runs', 'text/html'], ['/docs/', 'text/html'], ['/typo', '*/*'], ['/typo', 'application/json']] as const) {
        const res = await fetch(`${server.url}${path}`, { headers: { accept } });
        expect([path, res.status]).toEqual([path, 404]);
        expect(await res.json()).toEqual({ error: 'Not found', code: 'not_found' });
      }
    } finally {
      server.close();
    }
  });

  it('says how to build it when there is no build, and finds a folder only when it holds index.html', async () => {
    const server = await serve(undefined);
    try {
      const res = await fetch(`${server.url}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build -w @cadre/dashboard');
    } finally {
      server.close();
    }
    expect(findDashboard(dir)).toBe(dir);
    expect(findDashboard(join(dir, 'assets'))).toBeUndefined();
  });
});
