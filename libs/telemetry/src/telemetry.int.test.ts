import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@cadre/testing';
import { startTelemetry } from '@cadre/telemetry';

const run = promisify(execFile);

describe('telemetry', () => {
  let database: TestDatabase;
  beforeAll(async () => { database = await createTestDatabase(); });
  afterAll(async () => { await database.dispose(); });

  it('traces Postgres queries inside the span of the work that made them', async () => {
    const fixture = join(__dirname, '..', 'test-fixtures', 'trace-pg.ts');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture, database.url], { cwd: join(__dirname, '..', '..', '..') });
    const { enabled, spans } = JSON.parse(stdout) as { enabled: boolean; spans: Array<{ name: string; traceId: string; service: string }> };
    expect(enabled).toBe(true);
    const parent = spans.find((s) => s.name === 'handle request');
    const query = spans.find((s) => s.name.startsWith('pg.query'));
    expect(parent).toBeDefined();
    expect(query).toBeDefined();
    expect(query?.traceId).toBe(parent?.traceId);
    expect(query?.service).toBe('telemetry-test');
  });

  it('starts nothing when there is nowhere to send spans', async () => {
    const telemetry = startTelemetry({ serviceName: 'off' });
    expect(telemetry.enabled).toBe(false);
    await telemetry.shutdown();
  });
});
