import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, startOtlpReceiver, type TestDatabase } from '@cadre/testing';
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

  it('exports spans over OTLP/HTTP to the endpoint, and only spans, flushing them on shutdown', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const fixture = join(__dirname, '..', 'test-fixtures', 'export-otlp.ts');
      // The SDK's default batch delay (5 s) is longer than the fixture lives: its spans leave on shutdown.
      const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '60000' };
      const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture], { cwd: join(__dirname, '..', '..', '..'), env });
      const { traceId } = JSON.parse(stdout) as { traceId: string };
      const trace = receiver.spans().filter((s) => s.traceId === traceId);
      expect(trace.map((s) => [s.service, s.kind, s.name]).sort()).toEqual([
        ['telemetry-otlp-test', 'client', 'GET'],
        ['telemetry-otlp-test', 'internal', 'handle request'],
        ['telemetry-otlp-test', 'server', 'GET'],
      ]);
      // Metrics are Prometheus text on each service: nothing else is pushed to the trace endpoint.
      expect(receiver.requests().filter((r) => r.path !== '/v1/traces')).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('starts nothing when there is nowhere to send spans', async () => {
    const telemetry = startTelemetry({ serviceName: 'off' });
    expect(telemetry.enabled).toBe(false);
    await telemetry.shutdown();
  });
});
