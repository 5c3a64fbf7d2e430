import { runCreate } from '@cadre/proto';
import { eventually, watchClientQueries } from '@cadre/testing';
import { startHarness, type Harness } from './test-support/harness';

// The dispatcher acks a step_queued whose job this replica enqueued without waiting for the ack
// to commit: the events it claimed together are acked in a statement or two, not one each.
describe('the step dispatcher on the embedded bus', () => {
  let h: Harness;
  let stopWatching = (): void => undefined;
  /** The ack statements that named the dispatcher's consumer, and the acks they held. */
  const acks = { statements: 0, events: 0 };
  beforeAll(async () => {
    h = await startHarness({ transport: 'embedded' });
    stopWatching = watchClientQueries((text, values) => {
      if (!/^DELETE FROM \S*consumer_pending/.test(text)) return;
      const mine = [values?.[0]].flat().filter((name) => name === 'runs-dispatcher').length;
      if (mine > 0) {
        acks.statements++;
        acks.events += mine;
      }
    });
  });
  afterAll(async () => {
    stopWatching();
    await h?.dispose();
  });

  it('acks the steps it finds enqueued several to a statement', async () => {
    const runs = 16;
    await Promise.all(Array.from({ length: runs }, (_, i) => h.send(runCreate, { pipeline_id: 'review-flow', task_description: `dispatched ${i}` })));
    // Each run's first step_queued reaches the dispatcher, which finds its job enqueued and acks it.
    await eventually(async () => expect(acks.events).toBe(runs), 10_000, 50);
    await eventually(async () => {
      const { rows } = await h.pool.query<{ pending: number }>(`select count(*)::int as pending from cadre_bus.consumer_pending where consumer = 'runs-dispatcher'`);
      expect(rows[0]?.pending).toBe(0);
    }, 10_000, 50);
    expect(acks.statements).toBeLessThanOrEqual(runs / 2);
  });
});
