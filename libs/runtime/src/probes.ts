import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { exposition } from './metrics';

/** A readiness check: resolves true when the dependency it checks can be used. */
export type Check = () => Promise<boolean> | boolean;

export interface ProbeServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `/healthz` (liveness: the process answers), `/readyz` (every check passes and the
 * service is not shutting down) and `/metrics` (Prometheus text) on its own port, so probes
 * and scrapes never compete with the service's real traffic.
 */
export async function startProbeServer(options: {
  port: number;
  registry: Registry;
  /** Registries served with `registry` as one exposition (the all-in-one process: every service's). */
  more?: () => readonly Registry[];
  checks: Readonly<Record<string, Check>>;
  isShuttingDown: () => boolean;
}): Promise<ProbeServer> {
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/readyz') {
      const results = await runChecks(options.checks);
      const ready = !options.isShuttingDown() && Object.values(results).every(Boolean);
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: ready ? 'ready' : 'not_ready', checks: results, shuttingDown: options.isShuttingDown() }));
      return;
    }
    if (path === '/metrics') {
      try {
        const text = await exposition([options.registry, ...(options.more?.() ?? [])]);
        res.writeHead(200, { 'content-type': options.registry.contentType }).end(text);
      } catch {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"metrics unavailable"}');
      }
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
  });
  await new Promise<void>((resolve) => server.listen(options.port, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function runChecks(checks: Readonly<Record<string, Check>>): Promise<Record<string, boolean>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        return [name, await withTimeout(Promise.resolve(check()), 2000)] as const;
      } catch {
        return [name, false] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | false> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
