import { eventually } from '@cadre/testing';
import { publishMany, type TestEvent } from '../../../tests/support/events';
import { metricValue } from '../../../tests/support/metrics';
import { openStream } from '../../../tests/support/sse';
import { startGatewayHarness, type GatewayHarness } from '../test-support/harness';

// The heavy SSE proofs (10,000 events with 20 resumes, a stalled client, revocation) run on the
// whole system in tests/e2e/stream.e2e.test.ts; these are the corners of joining the live feed.

const event = (run: string, type = 'step_queued') => (i: number): TestEvent => ({ domain: 'runs', type, scope: run, data: { run_id: run, step_id: `s${i}`, attempt: 1 } });

describe.each(['embedded', 'nats'] as const)('SSE resume on the %s bus', (transport) => {
  let harness: GatewayHarness;
  beforeAll(async () => {
    harness = await startGatewayHarness({ transport, routes: [], handlers: {}, env: { SSE_HEARTBEAT_MS: '100' } });
  });
  afterAll(() => harness.stop());

  it('keeps a filtered resume whose backlog has no match open, and delivers the next match once', async () => {
    const before = await publishMany(harness.bus, 50, event('run-noise'), 4);
    const stream = await openStream(harness.baseUrl, { lastEventId: before[0]! - 1, query: { run_id: 'run-quiet' } });
    await eventually(async () => expect(await metricValue(harness.gateway, 'cadre_sse_resumes_total', { path: 'replay' })).toBeGreaterThan(0));
    const [match] = await publishMany(harness.bus, 1, event('run-quiet'), 1);
    await publishMany(harness.bus, 20, event('run-noise'), 4);
    const [second] = await publishMany(harness.bus, 1, event('run-quiet'), 1);
    await eventually(() => expect(stream.events.map((e) => e.id)).toEqual([match, second]));
    await eventually(() => expect(harness.gateway.sseStats().catchingUp).toBe(0));
    stream.close();
  });

  it('resumes from the last_event_id query parameter for clients that cannot set headers', async () => {
    const seqs = await publishMany(harness.bus, 5, event('run-query'), 1);
    const stream = await openStream(harness.baseUrl, { query: { last_event_id: String(seqs[1]), run_id: 'run-query' } });
    await eventually(() => expect(stream.events.map((e) => e.id)).toEqual(seqs.slice(2)));
    stream.close();
  });

  it('refuses a Last-Event-ID that is not a sequence number', async () => {
    const res = await fetch(`${harness.baseUrl}/v1/events/stream`, { headers: { 'last-event-id': 'abc' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'validation_failed', details: [{ path: 'headers.last-event-id' }] });
  });

  it('sends heartbeats as comments, and forgets a client once it hangs up', async () => {
    const stream = await openStream(harness.baseUrl);
    await eventually(() => expect(stream.comments.length).toBeGreaterThan(1), 5000);
    stream.close();
    await eventually(() => expect(harness.gateway.sseStats().clients).toBe(0));
  });
});

describe.each(['embedded', 'nats'] as const)('SSE live writes on the %s bus', (transport) => {
  let harness: GatewayHarness;
  beforeAll(async () => {
    // Frames coalesced for two seconds, a bound of 64 KB: a burst passes the bound within one flush.
    harness = await startGatewayHarness({ transport, routes: [], handlers: {}, env: { SSE_FLUSH_MS: '2000', SSE_CLIENT_BUFFER: '64kb' } });
  });
  afterAll(() => harness.stop());

  it('hands a burst of coalesced frames to a reading client rather than dropping it', async () => {
    const droppedBefore = harness.gateway.sseStats().dropped;
    const stream = await openStream(harness.baseUrl, { query: { run_id: 'run-burst' } });
    await eventually(() => expect(harness.gateway.sseStats()).toMatchObject({ clients: 1, catchingUp: 0 }));
    // 60 events of 4 KB (240 KB) within the first flush interval, read as they come.
    const seqs = await publishMany(harness.bus, 60, (i) => ({ ...event('run-burst')(i), data: { run_id: 'run-burst', step_id: `s${i}`, attempt: 1, pad: 'x'.repeat(4000) } }), 4);
    await stream.waitForCount(seqs.length, 10_000);
    expect(stream.events.map((e) => e.id)).toEqual(seqs);
    expect(harness.gateway.sseStats().dropped).toBe(droppedBefore);
    stream.close();
  });
});

