import { eventually } from '@cadre/testing';
import { publishMany, storedSeqs } from '../../../tests/support/events';
import { metricValue } from '../../../tests/support/metrics';
import { followStream, openStream } from '../../../tests/support/sse';
import { openStalledStream } from '../../../tests/support/stall';
import { startGatewayHarness, type GatewayHarness } from '../test-support/harness';

const runEvent = (run: string) => (i: number) => ({ domain: 'runs', type: 'step_queued', scope: run, data: { run_id: run, step_id: `s${i}`, attempt: 1 } });

describe.each(['embedded', 'nats'] as const)('SSE on the %s bus', (transport) => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness({ transport, routes: [], handlers: {}, env: { SSE_HEARTBEAT_MS: '200' } });
  });
  afterAll(() => harness.stop());

  it('resumes with Last-Event-ID 20 times while 10,000 events are produced: every event once, in order', async () => {
    const start = await harness.bus.events.lastSeq();
    let final: number | undefined;
    const producing = publishMany(harness.bus, 10_000, runEvent('run-resume'), 32).then((seqs) => {
      final = seqs.at(-1);
      return seqs;
    });
    const followed = followStream(harness.baseUrl, {
      startAfter: start, resumes: 20, eventsPerConnection: () => 150 + Math.floor(Math.random() * 300),
      pauseMs: () => Math.floor(Math.random() * 40), finalSeq: () => final,
    });
    const [published, result] = await Promise.all([producing, followed]);
    expect(result.resumes).toBe(20);
    const replayed = await metricValue(harness.gateway, 'cadre_sse_resumes_total', { path: 'replay' });
    const joined = await metricValue(harness.gateway, 'cadre_sse_resumes_total', { path: 'live' });
    console.log(`${transport}: ${replayed} resumes replayed, ${joined} joined live, ${result.serverEnds} ended by the server`);
    for (let i = 1; i < result.ids.length; i++) expect(result.ids[i]).toBeGreaterThan(result.ids[i - 1]!);
    const stored = await storedSeqs(harness.bus, start + 1, final!);
    expect(result.ids).toEqual(stored);
    expect(new Set(result.ids).size).toBe(result.ids.length);
    expect(published.every((seq) => result.ids.includes(seq))).toBe(true);
  });

  it('sends heartbeats as comments', async () => {
    const stream = await openStream(harness.baseUrl);
    await eventually(() => expect(stream.comments.length).toBeGreaterThan(1), 5000);
    stream.close();
  });
});

describe('SSE with a client that never reads', () => {
  let harness: GatewayHarness;
  beforeAll(async () => {
    harness = await startGatewayHarness({ transport: 'nats', routes: [], handlers: {}, env: { SSE_CLIENT_BUFFER: '1mb' } });
  });
  afterAll(() => harness.stop());

  it('drops the stalled client and the reading one still gets every event', async () => {
    const start = await harness.bus.events.lastSeq();
    const stalled = await openStalledStream(harness.baseUrl);
    await eventually(() => expect(harness.gateway.sseStats().clients).toBe(1));
    let final: number | undefined;
    const padding = 'x'.repeat(4000);
    const producing = publishMany(harness.bus, 3000, (i) => ({ ...runEvent('run-big')(i), data: { run_id: 'run-big', step_id: `s${i}`, padding } }), 16)
      .then((seqs) => (final = seqs.at(-1)));
    const reader = followStream(harness.baseUrl, { startAfter: start, resumes: 0, eventsPerConnection: () => 0, pauseMs: () => 0, finalSeq: () => final });
    const [, result] = await Promise.all([producing, reader]);
    expect(result.ids).toEqual(await storedSeqs(harness.bus, start + 1, final!));
    expect(result.serverEnds).toBe(0);
    await eventually(() => expect(harness.gateway.sseStats().dropped).toBe(1));
    stalled.socket.destroy();
  });
});
