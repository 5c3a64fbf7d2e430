import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SpanKind } from '@opentelemetry/api';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

interface SpanRecord {
  readonly name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** The span and every ancestor of it. */
function ancestry(span: SpanRecord, byId: ReadonlyMap<string, SpanRecord>): SpanRecord[] {
  const chain = [span];
  let current = span;
  while (current.parentSpanId && byId.has(current.parentSpanId)) {
    current = byId.get(current.parentSpanId)!;
    chain.push(current);
  }
  return chain;
}

describe.each(['nats', 'embedded'] as const)('a trace of POST /v1/runs (%s)', (transport) => {
  it('has the gateway\'s HTTP span, the runs service\'s handler span and its Postgres queries, in one trace', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', join(__dirname, 'trace', 'child.ts'), transport], {
      cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json') },
    });
    const { status, spans } = JSON.parse(stdout.trim().split('\n').at(-1)!) as { status: number; spans: SpanRecord[] };
    expect(status).toBe(201);

    const http = spans.find((s) => s.kind === SpanKind.SERVER && /POST/.test(s.name) && JSON.stringify(s.attributes).includes('/v1/runs'));
    expect(http).toBeDefined();
    const trace = spans.filter((s) => s.traceId === http!.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));

    const handler = trace.find((s) => s.name === 'runs.cmd.create');
    expect(handler).toMatchObject({ kind: SpanKind.SERVER, attributes: { 'cadre.service': 'runs', 'messaging.system': transport } });
    expect(ancestry(handler!, byId)).toContain(byId.get(http!.spanId));

    const queries = trace.filter((s) => s.name.startsWith('pg') || s.attributes['db.system'] === 'postgresql' || s.attributes['db.system.name'] === 'postgresql');
    const runQueries = queries.filter((q) => ancestry(q, byId).some((a) => a.spanId === handler!.spanId));
    expect(runQueries.length).toBeGreaterThan(0);
  });
});
