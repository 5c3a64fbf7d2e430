import { Client } from 'pg';
import { runCreate } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { startHarness, type Harness } from './test-support/harness';

// The dispatcher acks a step_queued whose job this replica enqueued without waiting for the ack
// to commit: the events it claimed together are acked in a statement or two, not one each.
describe('the step dispatcher on the embedded bus', () => {
  let h: Harness;
  const original = Client.prototype.query;
  /** The ack statements that named the dispatcher's consumer, and the acks they held. */
  const acks = { statements: 0, events: 0 };
  beforeAll(async () => {
    h = await startHarness({ transport: 'embedded' });
    Client.prototype.query = function counted(this: Client, ...args: unknown[]) {
      const config = args[0] as { text?: unknown; values?: unknown[] } | string | undefined;
      const text = typeof config === 'string' ? config : config?.text;
      const values = typeof config === 'string' ? (args[1] as unknown[] | undefined) : config?.values;
      if (typeof text === 'string' && /^DELETE FROM \S*consumer_pending/.test(text)) {
        const consumers = [values?.[0]].flat();
        const mine = consumers.filter((name) => name === 'runs-dispatcher').length;
        if (mine > 0) {
          acks.statements++;
          acks.events += mine;
        }
      }
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original;
  });
  afterAll(async () => {
    Client.prototype.query = original;
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
