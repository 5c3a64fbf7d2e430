import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

interface CadreModule {
  startCadre(env: NodeJS.ProcessEnv): Promise<{ url: string; stop(reason?: string): Promise<void>; database: { embedded: boolean }; bus: string; dataDir: string }>;
  startBanner?(url: string, options: { database: string; bus: string; dataDir?: string }): string;
}

const ROOT = join(__dirname, '..', '..', '..', '..');

function loadCadre(): CadreModule | undefined {
  // From the sources (tsx) or from a build: whichever is there.
  for (const candidate of [join(ROOT, 'services', 'cadre', 'src', 'index.ts'), '@cadre/cadre']) {
    if (candidate.startsWith('/') && !existsSync(candidate)) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(candidate) as Partial<CadreModule>;
      if (typeof loaded.startCadre === 'function') return loaded as CadreModule;
    } catch {
      // Try the next one.
    }
  }
  return undefined;
}

/**
 * `cadre up`: all of Cadre in this process (embedded mode), as `npm start` runs it; stops
 * cleanly on Ctrl-C. Without the all-in-one package it runs `npm start` in the repository.
 */
export async function up(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) {
    // Telemetry first, before http and pg load (as every main.ts does).
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { startTelemetry } = require('@cadre/telemetry') as { startTelemetry(o: { serviceName: string; otlpEndpoint: string }): unknown };
      startTelemetry({ serviceName: env.OTEL_SERVICE_NAME ?? 'cadre', otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
    } catch {
      process.stderr.write('telemetry: @cadre/telemetry is not available; tracing is off\n');
    }
  }
  const cadre = loadCadre();
  if (!cadre) return spawnNpmStart(env);
  const running = await cadre.startCadre(env);
  process.stderr.write(`${cadre.startBanner
    ? cadre.startBanner(running.url, { database: running.database.embedded ? 'embedded Postgres' : 'DATABASE_URL', bus: running.bus, ...(running.database.embedded ? { dataDir: running.dataDir } : {}) })
    : `Cadre is running at ${running.url}`}\n`);
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      running.stop(signal).then(() => resolve(0), (error: unknown) => {
        process.stderr.write(`stop failed: ${String(error)}\n`);
        resolve(1);
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function spawnNpmStart(env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['start'], { cwd: ROOT, env, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}
