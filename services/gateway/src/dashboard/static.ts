import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { type Router } from 'express';

/** Where the dashboard's built files are: DASHBOARD_DIR, else the @cadre/dashboard package's dist/. */
export function findDashboard(configured: string | undefined): string | undefined {
  const candidates: string[] = [];
  if (configured !== undefined) candidates.push(configured);
  else {
    try {
      candidates.push(join(dirname(require.resolve('@cadre/dashboard/package.json')), 'dist'));
    } catch {
      // not installed as a package: the workspace folder beside the gateway's
    }
    candidates.push(join(__dirname, '..', '..', '..', 'dashboard', 'dist'));
  }
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

// The page only talks to this origin (the API and its streams); nothing inline runs.
const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
  "connect-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
].join('; ');

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Cadre</title>
<body><h1>The dashboard is not built</h1><p>Build it with <code>npm run build -w @cadre/dashboard</code>
(<code>npm ci</code> does it), then reload. The API is at <a href="/docs/">/docs</a>.</p></body></html>`;

/** Paths that are never the dashboard's: the API and the API docs. */
const NOT_PAGES = /^\/(v1|docs)(\/|$)/;

/**
 * The dashboard at `/`: its hashed assets cached for a year, and `index.html` (never cached,
 * with a strict Content-Security-Policy) for `/` and every other GET that asks for a page
 * (Accept: text/html), so the app's own routes (/runs/…, /swarms/…) survive a reload. The API
 * under /v1 and the docs under /docs are left alone.
 */
export function dashboardRouter(dir: string | undefined): Router {
  const router = express.Router();
  if (dir !== undefined) {
    router.use('/assets', express.static(join(dir, 'assets'), { index: false, immutable: true, maxAge: '365d' }));
  }
  router.get(/.*/, (req, res, next) => {
    // `/` is the page for any client; another path only for a browser asking for a page (a
    // client that takes anything, like curl, gets the API's JSON 404 for a mistyped path).
    const page = req.path === '/' || (req.get('accept') ?? '').includes('text/html');
    if (NOT_PAGES.test(req.path) || !page) {
      next();
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    if (dir === undefined) {
      res.status(503).type('html').send(NOT_BUILT);
      return;
    }
    res.sendFile(join(dir, 'index.html'));
  });
  return router;
}
