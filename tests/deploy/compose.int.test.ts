import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { registry } from '@cadre/cadre';
import { onPath } from './tools';

const ROOT = join(__dirname, '..', '..');
/** The gateway and every service of the registry: each one deployed. */
const SERVICES = ['gateway', ...registry.map((service) => service.name)];

type ComposeService = {
  image?: string; command?: string[]; environment?: Record<string, string>; volumes?: Array<string | { source: string; target: string }>;
  read_only?: boolean; cap_drop?: string[]; depends_on?: Record<string, { condition: string }>; ports?: unknown[];
};

/** `docker-compose config`: the file as Compose reads it, anchors merged, with the file's own defaults. */
function composeConfig(): { services: Record<string, ComposeService>; volumes: Record<string, unknown> } {
  const binary = onPath('docker-compose');
  // CI installs Debian's docker-compose (.ci/run); a machine without it cannot check the file.
  if (!binary) throw new Error('docker-compose is not installed (Debian: apt-get install -y docker-compose)');
  // An environment of its own: the file's defaults, not whatever this shell exports.
  const output = execFileSync(binary, ['-f', join(ROOT, 'docker-compose.yml'), 'config'], {
    cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
  });
  return parse(output) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
}

describe('docker-compose.yml', () => {
  const config = composeConfig();
  /** The variables every Cadre container gets, as the file names them (`x-cadre-env`). */
  const sharedEnv = Object.keys((parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { 'x-cadre-env': Record<string, string> })['x-cadre-env']);

  it('passes `docker-compose config` and runs NATS with JetStream on a volume, Postgres, the gateway and every service', () => {
    const nats = config.services.nats!;
    expect(nats.command).toEqual(expect.arrayContaining(['--jetstream', '--store_dir', '/data']));
    expect(JSON.stringify(nats.volumes)).toContain('nats-data');
    expect(config.volumes).toHaveProperty('nats-data');
    expect(config.services.postgres?.environment).toMatchObject({ POSTGRES_DB: 'cadre' });
    // The memory service compares vectors with pgvector where the server has it (docs/memory.md).
    expect(config.services.postgres?.image).toBe('pgvector/pgvector:pg17');

    for (const name of SERVICES) {
      const service = config.services[name];
      expect(service).toBeDefined();
      expect(service!.environment).toMatchObject({
        SERVICE: name,
        DATABASE_URL: 'postgres://cadre:cadre@postgres:5432/cadre',
        NATS_URL: 'nats://nats:4222',
        METRICS_PORT: '9090',
      });
      expect(service!.read_only).toBe(true);
      expect(service!.cap_drop).toEqual(['ALL']);
      expect(service!.depends_on).toMatchObject({ nats: { condition: 'service_healthy' }, postgres: { condition: 'service_healthy' } });
    }
    expect(JSON.stringify(config.services.gateway!.ports)).toContain('8000');
  });

  it('runs the gateway and the services of the registry, each with the shared variables, and no service the registry lacks', () => {
    expect(sharedEnv).toEqual(expect.arrayContaining(['DATABASE_URL', 'NATS_URL', 'METRICS_PORT', 'JWT_SECRET', 'CADRE_SECRET_KEY']));
    const cadre = Object.keys(config.services).filter((name) => name !== 'nats' && name !== 'postgres');
    expect(cadre.sort()).toEqual([...SERVICES].sort());
    for (const name of cadre) {
      expect(config.services[name]!.image).toBe('cadre:local');
      expect(Object.keys(config.services[name]!.environment ?? {})).toEqual(expect.arrayContaining([...sharedEnv, 'SERVICE']));
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const entrypoint = join(ROOT, 'deploy/docker/entrypoint.sh');

  it('builds in stages and runs as a non-root user through the service-selecting entrypoint', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/deploy\/docker\/entrypoint.sh"\]$/m);
    expect(() => accessSync(entrypoint, constants.X_OK)).not.toThrow();
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*\*\/node_modules$/m);
    expect(ignore).toMatch(/^\.cadre$/m);
  });

  it('starts every service through the one entry point, which refuses a name the registry does not know', () => {
    expect(readFileSync(entrypoint, 'utf8')).toMatch(/exec node services\/cadre\/dist\/main\.js/);
    expect(existsSync(join(ROOT, 'services', 'cadre', 'src', 'main.ts'))).toBe(true);
    const refused = (() => {
      try {
        execFileSync(process.execPath, ['--import', 'tsx', 'services/cadre/src/main.ts', 'nonsense'], { cwd: ROOT, stdio: 'pipe', env: { PATH: process.env.PATH ?? '' } });
        return { status: 0, stderr: '' };
      } catch (error) {
        return { status: (error as { status: number }).status, stderr: String((error as { stderr: Buffer }).stderr) };
      }
    })();
    expect(refused.status).toBe(64);
    for (const name of SERVICES) expect(refused.stderr).toContain(name);
  });
});
