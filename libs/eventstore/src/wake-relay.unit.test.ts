import type { Pool } from 'pg';
import { createRelayWaker } from './wake-relay';

/** A pool whose queries stay pending until the test settles them. */
function fakePool() {
  const pending: Array<{ values: unknown[]; settle: (ok: boolean) => void }> = [];
  const pool = {
    query: (q: { values: unknown[] }) => new Promise((resolve, reject) => {
      pending.push({ values: q.values, settle: (ok) => (ok ? resolve({ rows: [] }) : reject(new Error('down'))) });
    }),
  } as unknown as Pool;
  return { pool, pending };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('relay waker', () => {
  it('lets a lone append NOTIFY in its own statement, and sends nothing after it', async () => {
    const { pool, pending } = fakePool();
    const waker = createRelayWaker(pool, 'ch');
    expect(waker.enter()).toBe(true);
    waker.leave(true, true);
    await tick();
    expect(pending).toHaveLength(0);
  });

  it('has concurrent appends share NOTIFYs sent after their commits, one more for commits during a send', async () => {
    const { pool, pending } = fakePool();
    const waker = createRelayWaker(pool, 'ch');
    const first = waker.enter();
    const second = waker.enter();
    expect([first, second]).toEqual([true, false]);
    waker.leave(true, false);
    expect(pending.map((p) => p.values)).toEqual([['ch']]);
    // Committed while that NOTIFY is in flight: it may have gone out before these commits.
    expect(waker.enter()).toBe(false);
    waker.leave(true, false);
    waker.leave(true, true);
    expect(pending).toHaveLength(1);
    pending[0]!.settle(true);
    await tick();
    expect(pending).toHaveLength(2);
    pending[1]!.settle(false); // a failed NOTIFY is left to the relay's poll
    await tick();
    expect(pending).toHaveLength(2);
    expect(waker.enter()).toBe(true);
  });

  it('sends nothing for an append that wrote nothing', async () => {
    const { pool, pending } = fakePool();
    const waker = createRelayWaker(pool, 'ch');
    waker.enter();
    waker.enter();
    waker.leave(false, false);
    waker.leave(false, false);
    await tick();
    expect(pending).toHaveLength(0);
  });
});
