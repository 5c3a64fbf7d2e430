import { createTestDatabase, eventually, startNats, startOtlpReceiver, type OtlpReceiver, type OtlpSpan, type TestDatabase, type TestNats } from '@cadre/testing';
import { ADMIN, login, setupAdmin } from '../support/auth';
import { Fleet, type FleetService, type Replica } from '../support/fleet';
import { createRun } from '../support/runs';

/*
 * Traces across processes: identity, runs, agents and the gateway each run in a process of
 * their own on NATS and Postgres, as in a distributed deployment, and export their spans over
 * OTLP/HTTP to a receiver the test starts. One trace holds the gateway's HTTP span of
 * `POST /v1/runs`, the runs service's handler span of `runs.cmd.create` and that handler's SQL,
 * linked child to parent across the process boundaries.
 */

const SERVICES: readonly FleetService[] = ['identity', 'runs', 'agents', 'gateway'];
/** How long to wait for spans that are exported every OTEL_BSP_SCHEDULE_DELAY ms. */
const ARRIVAL_MS = 30_000;

const pidOf = (span: OtlpSpan): unknown => span.resource['process.pid'];

/** The span and its ancestors, as far as the spans at hand reach. */
function ancestry(span: OtlpSpan, byId: ReadonlyMap<string, OtlpSpan>): OtlpSpan[] {
  const chain = [span];
  for (let parent = byId.get(span.parentSpanId ?? ''); parent !== undefined && !chain.includes(parent); parent = byId.get(parent.parentSpanId ?? '')) {
    chain.push(parent);
  }
  return chain;
}

const isQuery = (span: OtlpSpan): boolean => span.name.startsWith('pg.query')
  && (span.attributes['db.system.name'] === 'postgresql' || span.attributes['db.system'] === 'postgresql');

/** The gateway's HTTP server span of a `POST /v1/runs` (old or stable HTTP semantic conventions). */
const isCreateRunRequest = (span: OtlpSpan): boolean => span.service === 'gateway' && span.kind === 'server'
  && (span.attributes['http.request.method'] ?? span.attributes['http.method']) === 'POST'
  && (span.attributes['url.path'] ?? span.attributes['http.target']) === '/v1/runs';

interface RunTrace {
  readonly request: OtlpSpan;
  readonly handler: OtlpSpan;
  readonly queries: readonly OtlpSpan[];
}

/**
 * In the trace of the gateway's `POST /v1/runs` span from process `gatewayPid`: the runs
 * handler span and the queries made under it. Throws, saying what is missing, until all are there.
 */
function runTrace(spans: readonly OtlpSpan[], gatewayPid: number): RunTrace {
  const request = spans.find((s) => isCreateRunRequest(s) && pidOf(s) === gatewayPid);
  if (!request) throw new Error(`no HTTP server span of POST /v1/runs from the gateway (pid ${gatewayPid})`);
  const trace = spans.filter((s) => s.traceId === request.traceId);
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const handler = trace.find((s) => s.service === 'runs' && s.name === 'runs.cmd.create');
  if (!handler) throw new Error(`trace ${request.traceId} has no runs.cmd.create span from the runs service`);
  const queries = trace.filter((s) => s.service === 'runs' && isQuery(s) && ancestry(s, byId).includes(handler));
  if (queries.length === 0) throw new Error(`trace ${request.traceId} has no Postgres query of the runs service under runs.cmd.create`);
  return { request, handler, queries };
}

/**
 * What the receiver got, for a failure message: spans by process of the fleet, and in full the
 * trace of `traceId` (by default that of the first `POST /v1/runs` through one of its gateways).
 */
function report(receiver: OtlpReceiver, fleet: Fleet, traceId?: string): string {
  const lines = [`requests: ${receiver.requests().length} (${receiver.requests().filter((r) => r.status !== 200).length} rejected)`];
  for (const r of receiver.requests().filter((q) => q.status !== 200)) lines.push(`  rejected ${r.method} ${r.path}: ${r.problem ?? ''}`);
  for (const replica of fleet.all()) {
    const mine = receiver.spans().filter((s) => pidOf(s) === replica.child.pid);
    const names = [...new Set(mine.map((s) => `${s.service}:${s.name}`))];
    lines.push(`${replica.name} (pid ${replica.child.pid}): ${mine.length} spans${names.length > 0 ? ` — ${names.slice(0, 12).join(', ')}` : ''}`);
  }
  const pids = new Set(fleet.all().map((r) => r.child.pid));
  const shown = traceId ?? receiver.spans().find((s) => isCreateRunRequest(s) && pids.has(pidOf(s) as number))?.traceId;
  const trace = receiver.spans().filter((s) => s.traceId === shown);
  if (trace.length > 0) lines.push(`trace ${trace[0]!.traceId}:`, ...trace.map((s) => `  ${s.spanId} ← ${s.parentSpanId ?? 'root'} ${s.service} ${s.kind} ${s.name}`));
  return lines.join('\n');
}

/** Waits for `find` to succeed on the spans received; its last failure when the time is out. */
function whenReceived<T>(receiver: OtlpReceiver, find: (spans: readonly OtlpSpan[]) => T): Promise<T> {
  return eventually(() => find(receiver.spans()), ARRIVAL_MS, 100);
}

describe('distributed tracing: every service in its own process, exporting spans over OTLP/HTTP', () => {
  let receiver: OtlpReceiver;
  let nats: TestNats;
  let database: TestDatabase;
  let env: Record<string, string>;
  let fleet: Fleet;
  let token: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    nats = await startNats();
    database = await createTestDatabase('cadre_trace_distributed');
    env = {
      DATABASE_URL: database.url, NATS_URL: nats.url, HOST: '127.0.0.1', LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // The batch span processor's delay (5 s by default): spans leave each process within 0.1 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    fleet = new Fleet(env);
    try {
      await Promise.all(SERVICES.map((service) => fleet.startReady(service)));
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${fleet.report()}`);
    }
    token = (await setupAdmin(fleet.alive('gateway')[0]!.url)).access_token;
  }, 120_000);

  afterAll(async () => {
    await fleet?.stop();
    await database?.dispose();
    await nats?.dispose();
    await receiver?.close();
  });

  const replica = (service: FleetService): Replica => fleet.alive(service)[0]!;

  it('links the gateway\'s HTTP span, the runs handler span and its SQL in one trace across processes', async () => {
    const gateway = replica('gateway');
    // A failure here (once a 503 in CI, cause not found) shows the processes' own logs with it.
    await createRun(gateway.url, token, { pipeline_id: 'demo', task_description: 'traced across processes' }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${fleet.report()}`);
    });

    const { request, handler, queries } = await whenReceived(receiver, (spans) => runTrace(spans, gateway.child.pid!)).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${report(receiver, fleet)}`);
    });
    const trace = receiver.spans().filter((s) => s.traceId === request.traceId);
    const context = () => report(receiver, fleet, request.traceId);

    // Every process exported spans under its own service name.
    for (const r of fleet.all()) {
      const names = new Set(receiver.spans().filter((s) => pidOf(s) === r.child.pid).map((s) => s.service));
      if ([...names].join() !== r.service) throw new Error(`${r.name} exported spans named ${JSON.stringify([...names])}, not only "${r.service}"\n${context()}`);
    }
    expect(new Set(receiver.spans().map((s) => s.service)).size).toBeGreaterThanOrEqual(3);

    // The HTTP span is the gateway process's; the handler span and its queries the runs process's.
    expect(pidOf(request)).toBe(gateway.child.pid);
    expect(handler).toMatchObject({ kind: 'server', attributes: { 'messaging.system': 'nats', 'cadre.service': 'runs' } });
    expect(pidOf(handler)).toBe(replica('runs').child.pid);
    expect(queries.every((q) => pidOf(q) === pidOf(handler))).toBe(true);

    // The handler's parent is a span of the gateway process (its HTTP span, or a bus client span under it).
    const gatewaySpans = new Map(trace.filter((s) => s.service === 'gateway').map((s) => [s.spanId, s]));
    if (!gatewaySpans.has(handler.parentSpanId ?? '')) throw new Error(`runs.cmd.create's parent ${handler.parentSpanId ?? '(none)'} is not a gateway span\n${context()}`);
    expect(ancestry(handler, new Map(trace.map((s) => [s.spanId, s])))).toContain(request);
  });

  it('a process stopped with SIGTERM sends the spans it still held before it exits, and nothing but traces', async () => {
    // A gateway whose batches wait ten minutes: its spans can only leave when it stops.
    const holding = new Fleet({ ...env, OTEL_BSP_SCHEDULE_DELAY: '600000' });
    try {
      const gateway = await holding.startReady('gateway');
      const pid = gateway.child.pid!;
      const own = await login(gateway.url, ADMIN.email, ADMIN.password);
      await createRun(gateway.url, own.access_token, { pipeline_id: 'demo', task_description: 'traced through a stopping gateway' });
      // The runs handler span arrives (its process exports at once), its parent from the gateway not yet.
      const handler = await whenReceived(receiver, (spans) => {
        const found = spans.find((s) => s.name === 'runs.cmd.create' && !spans.some((p) => p.spanId === s.parentSpanId)
          && !spans.some((r) => isCreateRunRequest(r) && r.traceId === s.traceId));
        if (!found) throw new Error('no runs.cmd.create span without its parent yet');
        return found;
      });
      expect(receiver.spans().filter((s) => pidOf(s) === pid)).toEqual([]);

      gateway.child.kill('SIGTERM');
      await gateway.exited;
      expect({ code: gateway.child.exitCode, signal: gateway.child.signalCode }).toEqual({ code: 0, signal: null });

      // Sent before the process exited: no waiting here.
      const { request } = runTrace(receiver.spans(), pid);
      expect(request.spanId).toBe(handler.parentSpanId);
      expect(receiver.spans().filter((s) => pidOf(s) === pid).length).toBeGreaterThan(1);
      // Every request was a trace export in OTLP/JSON that the receiver accepted.
      expect(receiver.requests().filter((r) => r.method !== 'POST' || r.path !== '/v1/traces' || r.contentType !== 'application/json' || r.status !== 200)).toEqual([]);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${report(receiver, fleet)}\n${report(receiver, holding)}\n${holding.report()}`);
    } finally {
      await holding.stop();
    }
  });
});
