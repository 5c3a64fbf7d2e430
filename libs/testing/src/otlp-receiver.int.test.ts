import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startOtlpReceiver, type OtlpReceiver } from '@cadre/testing';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');

/** A server span and its client child, exported to the receiver by the real OTLP/HTTP exporter (in a child process). */
async function exportTwoSpans(receiver: OtlpReceiver, compression: 'none' | 'gzip' = 'none'): Promise<{ traceId: string; parent: string; child: string }> {
  const fixture = join(__dirname, '..', 'test-fixtures', 'otlp-export.ts');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture, receiver.url, compression], { cwd: ROOT });
  return JSON.parse(stdout) as { traceId: string; parent: string; child: string };
}

describe('OTLP/HTTP trace receiver', () => {
  let receiver: OtlpReceiver;

  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });

  afterEach(async () => {
    await receiver.close();
  });

  it('decodes what the OTLP/HTTP trace exporter sends by default: ids, parent, kind, attributes and the resource', async () => {
    const ids = await exportTwoSpans(receiver);

    expect(receiver.requests()).toEqual([
      { method: 'POST', path: '/v1/traces', contentType: 'application/json', contentEncoding: 'identity', status: 200, spans: 1 },
      { method: 'POST', path: '/v1/traces', contentType: 'application/json', contentEncoding: 'identity', status: 200, spans: 1 },
    ]);
    // One request per span (the simple processor exports each as it ends), in either order.
    const parent = receiver.spans().find((s) => s.spanId === ids.parent);
    const child = receiver.spans().find((s) => s.spanId === ids.child);
    expect(parent).toMatchObject({
      service: 'receiver-test', resource: { 'service.name': 'receiver-test', 'service.version': '1.2.3' }, scope: 'receiver-test-scope',
      traceId: ids.traceId, spanId: ids.parent, name: 'GET /things', kind: 'server',
      attributes: { 'http.status_code': 200, 'http.route': '/things' },
    });
    expect(parent!.parentSpanId).toBeUndefined();
    expect(child).toMatchObject({
      service: 'receiver-test', traceId: ids.traceId, spanId: ids.child, parentSpanId: ids.parent, name: 'things.qry.list', kind: 'client',
      attributes: { ratio: 0.5, ok: true, tags: ['a', 'b'] },
    });
    expect(BigInt(child!.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(child!.startTimeUnixNano));
  });

  it('accepts gzip-compressed requests, as the exporter sends them when compression is configured', async () => {
    const ids = await exportTwoSpans(receiver, 'gzip');

    expect(receiver.requests().map((r) => [r.contentEncoding, r.status])).toEqual([['gzip', 200], ['gzip', 200]]);
    expect(receiver.spans().map((s) => s.spanId).sort()).toEqual([ids.child, ids.parent].sort());
  });

  it('rejects what it cannot decode, and says so in its summary', async () => {
    const protobuf = await fetch(`${receiver.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array([10, 0]) });
    const badId = await fetch(`${receiver.url}/v1/traces`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'xyz', spanId: '00', name: 'x', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] }),
    });
    const metrics = await fetch(`${receiver.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

    expect([protobuf.status, badId.status, metrics.status]).toEqual([415, 400, 404]);
    expect(await badId.json()).toEqual({ code: 3, message: expect.stringContaining('resourceSpans.0.scopeSpans.0.spans.0.traceId') });
    expect(receiver.spans()).toEqual([]);
    expect(receiver.summary()).toContain('POST /v1/metrics (application/json) → 404');
  });
});
