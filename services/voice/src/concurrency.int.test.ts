import { ttsCallList, ttsSettingsUpdate, ttsSynthesize } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { MEMBER, startVoiceHarness, type VoiceHarness } from './test-support/harness';

/** The most intervals open at one instant (an end and a start at the same instant do not overlap). */
function maxOverlap(intervals: ReadonlyArray<{ start: number; end: number }>): number {
  const points = intervals.flatMap((i) => [{ at: i.start, delta: 1 }, { at: i.end, delta: -1 }])
    .sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let most = 0;
  for (const p of points) {
    open += p.delta;
    most = Math.max(most, open);
  }
  return most;
}

describe('the global synthesis limit', () => {
  let h: VoiceHarness;

  beforeAll(async () => {
    h = await startVoiceHarness({ transport: 'nats' });
    await h.addReplica();
  });
  afterAll(async () => h?.dispose());

  it('never runs more than its limit at once across two replicas, measured from the call log', async () => {
    await h.send(ttsSettingsUpdate, { max_concurrent_requests: 2 });
    const text = 'Replica limits hold across the cluster, so that a small engine is never swamped by a burst of requests.';
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) =>
      h.send(ttsSynthesize, { text: `${text} Number ${i}.`, provider: 'flite', voice_id: 'slt', format: 'wav' }, MEMBER)));
    expect(replies.every((r) => r.ok)).toBe(true);
    const { calls } = await h.send(ttsCallList, { limit: 200 }, MEMBER);
    expect(calls).toHaveLength(20);
    const intervals = calls.map((c) => ({ start: Date.parse(c.started_at), end: Date.parse(c.finished_at) }));
    expect(intervals.every((i) => i.end > i.start)).toBe(true);
    expect(maxOverlap(intervals)).toBeLessThanOrEqual(2);
    // Both replicas took requests: the limit held across them, not within one.
    await eventually(() => expect(h.eventsOf('tts_call')).toHaveLength(20));
    expect(new Set(h.eventsOf('tts_call').map((e) => (e.data as { instance?: string }).instance)).size).toBe(2);
  });

  it('counts overlaps as the test above reads them', () => {
    expect(maxOverlap([{ start: 0, end: 10 }, { start: 10, end: 20 }])).toBe(1);
    expect(maxOverlap([{ start: 0, end: 10 }, { start: 5, end: 20 }, { start: 6, end: 7 }])).toBe(3);
  });
});
