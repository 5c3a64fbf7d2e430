import { get as httpGet } from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { allEvents } from '@cadre/proto';
import { call } from '../support/http';
import { startSystem, TRANSPORTS, type System } from '../support/system';

const ROOT = join(__dirname, '..', '..');
const REDOCLY = join(ROOT, 'node_modules', '.bin', 'redocly');
const CONFIG = join(ROOT, 'services', 'gateway', 'redocly.yaml');

interface LintProblem {
  readonly ruleId: string;
  readonly severity: 'error' | 'warn';
  readonly message: string;
  readonly location: Array<{ pointer: string }>;
}

/** Runs `redocly lint` on a served document, as CI would on a file. */
async function lint(document: unknown, name: string): Promise<LintProblem[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cadre-lint-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(document, null, 2));
    const result = await promisify(execFile)(REDOCLY, ['lint', file, '--config', CONFIG, '--format', 'json'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 })
      .catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    return (JSON.parse(result.stdout) as { problems: LintProblem[] }).problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GET with a Host header of our choosing (fetch does not let a caller set it). */
function getWithHost(url: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { headers: { host } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(text));
    });
    request.on('error', reject);
  });
}

describe.each(TRANSPORTS)('API documents on the %s system', (transport) => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem({ transport, env: { CORS_ORIGINS: 'https://dashboard.example', PUBLIC_URL: 'https://cadre.example.com/' } });
  });
  afterAll(() => system.stop());

  it('serves an OpenAPI 3.1 document that passes redocly lint with no errors', async () => {
    const doc = await call<{ openapi: string; servers: Array<{ url: string }> }>(system.baseUrl, 'GET', '/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(doc.body.servers).toEqual([expect.objectContaining({ url: 'https://cadre.example.com' })]);
    const problems = await lint(doc.body, 'openapi.json');
    expect(problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} ${p.location[0]?.pointer} ${p.message}`)).toEqual([]);
  });

  it('serves an AsyncAPI 3 document with a message per event type that passes redocly lint', async () => {
    const doc = await call<{ asyncapi: string; components: { messages: Record<string, unknown> } }>(system.baseUrl, 'GET', '/v1/asyncapi.json');
    expect(doc.body.asyncapi).toBe('3.0.0');
    for (const event of allEvents) expect(doc.body.components.messages[event.type]).toBeDefined();
    expect(doc.body.components.messages['identity.qry.authenticate.request']).toBeDefined();
    const problems = await lint(doc.body, 'asyncapi.json');
    expect(problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} ${p.location[0]?.pointer} ${p.message}`)).toEqual([]);
  });

  it('never names the Host header a client sent as the server of its documents', async () => {
    for (const path of ['/v1/openapi.json', '/v1/asyncapi.json']) {
      const text = await getWithHost(`${system.baseUrl}${path}`, 'evil.example:666');
      expect(text).toContain('cadre.example.com');
      expect(text).not.toContain('evil.example');
    }
  });

  it('serves interactive docs at /docs pointing at the OpenAPI document', async () => {
    const page = await call<string>(system.baseUrl, 'GET', '/docs/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('swagger-ui');
    const init = await call<string>(system.baseUrl, 'GET', '/docs/swagger-initializer.js');
    expect(init.body).toContain("url: '/v1/openapi.json'");
    expect((await fetch(`${system.baseUrl}/docs/swagger-ui-bundle.js`)).status).toBe(200);
  });

  it('answers CORS preflights for the configured origins only', async () => {
    const preflight = (origin: string) => fetch(`${system.baseUrl}/v1/auth/me`, {
      method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    const allowed = await preflight('https://dashboard.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://dashboard.example');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(`${system.baseUrl}/v1/health`, { headers: { origin: 'https://dashboard.example' } });
    expect(simple.headers.get('access-control-expose-headers')).toMatch(/X-Request-Id/);
  });
});
