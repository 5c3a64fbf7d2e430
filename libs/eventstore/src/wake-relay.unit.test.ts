import type { Pool } from 'pg';
import { localRelays } from './relay/local';
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

const settle = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('relay waker', () => {
  it('lets a lone append NOTIFY in its own statement, and sends nothing after it', async () => {
    const { pool, pending } = fakePool();
    const waker = createRelayWaker(pool, 'ch', localRelays(pool, 'ch'), 0);
    expect(waker.enter()).toBe(true);
    waker.leave(true, true);
    await settle();
    expect(pending).toHaveLength(0);
  });

  it('has overlapping appends share NOTIFYs sent after their commits, one more for commits during a send', async () => {
    const { pool, pending } = fakePool();
    const waker = createRelayWaker(pool, 'ch', localRelays(pool, 'ch'), 0);
    expect([waker.enter(), waker.enter()]).toEqual([true, false]);
    waker.leave(true, false);
    await settle();
    expect(pending.map((p) => p.values)).toEqual([['ch']]);
    // Committed while that NOTIFY is in flight: it may have gone out before these commits.
    expect(waker.enter()).toBe(false);
    waker.leave(true, false);
    waker.leave(true, true);
    await settle();
    expect(pending).toHaveLength(1);
    pending[0]!.settle(true);
    await settle();
    expect(pending).toHaveLength(2);
    pending[1]!.settle(false); // a failed NOTIFY is left to the relay's poll
    await settle();
    expect(pending).toHaveLength(2);
    expect(waker.enter()).toBe(true);
  });

  it('spaces NOTIFYs by the minimum gap, still sending one after the last commit', async () => {
    const { pool, pending } = fakePool();
    const waker = createRelayWaker(pool, 'ch', localRelays(pool, 'ch'), 50);
    waker.enter();
    waker.enter();
    waker.leave(true, false);
    await settle();
    pending[0]!.settle(true);
    waker.leave(true, false);
    await settle(10);
    expect(pending).toHaveLength(1);
    await settle(60);
    expect(pending).toHaveLength(2);
  });

  it('sends nothing for an append that wrote nothing', async () => {
    const { pool, pending } = fakePool();
    const waker = createRelayWaker(pool, 'ch', localRelays(pool, 'ch'), 0);
    waker.enter();
    waker.enter();
    waker.leave(false, false);
    waker.leave(false, false);
    await settle();
    expect(pending).toHaveLength(0);
  });

  it('wakes the relays of this process after each commit, and sends no NOTIFY while one of them holds the relay lock', async () => {
    const { pool, pending } = fakePool();
    const local = localRelays(pool, 'ch');
    const waker = createRelayWaker(pool, 'ch', local, 0);
    let wakes = 0;
    const relay = local.join(() => { wakes++; });
    relay.holding(true);
    expect([waker.enter(), waker.enter()]).toEqual([false, false]);
    waker.leave(true, false);
    waker.leave(false, false); // a failed append wakes no one
    await settle();
    expect(pending).toHaveLength(0);
    expect(wakes).toBe(1);

    // Another replica took the lock: appends NOTIFY again (and still wake the local relay).
    relay.holding(false);
    expect(waker.enter()).toBe(true);
    waker.leave(true, true);
    expect(waker.enter()).toBe(true);
    expect(waker.enter()).toBe(false);
    waker.leave(true, false);
    await settle();
    expect(pending.map((p) => p.values)).toEqual([['ch']]);
    expect(wakes).toBe(3);

    // A relay that stopped holds nothing and is woken no more.
    relay.holding(true);
    relay.leave();
    expect(local.covering()).toBe(false);
    waker.leave(true, false);
    expect(wakes).toBe(3);
  });
});
