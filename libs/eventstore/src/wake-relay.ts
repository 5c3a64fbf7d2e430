import { performance } from 'node:perf_hooks';
import type { Pool } from 'pg';
import type { LocalRelays } from './relay/local';

/**
 * Decides how an append wakes the outbox relay (a NOTIFY on the schema's channel).
 *
 * A NOTIFY inside a transaction takes a cluster-wide lock at commit and holds it until the
 * commit record is flushed (Postgres serialises notifying commits to keep its queue in commit
 * order; see PreCommit_Notify in async.c). Concurrent appends that all NOTIFY therefore commit
 * one at a time and lose group commit. So an append NOTIFYs in its own statement only when it
 * is the store's sole append in flight (no one to queue behind, no extra round trip). Otherwise
 * it skips it and, once committed, asks for a NOTIFY sent after the fact: one in flight at a
 * time, at most one per `minGapMs`, each covering every append that committed before it went.
 *
 * The NOTIFY is only a wake-up: rows are committed before it is sent, and if it never arrives
 * (process died, pool closed) the relay's poll still finds them.
 *
 * A relay of this process is woken directly after every commit; while it holds the relay lock no
 * NOTIFY is sent at all (it would only wake that relay). Should it lose the lock to another
 * replica, its next batch finds that and sends a NOTIFY on its behalf (startOutboxRelay).
 */
export interface RelayWaker {
  /** Before an append: true when its statement should NOTIFY itself. */
  enter(): boolean;
  /** After it: `committed` when its rows are in; `notified` when its statement sent the NOTIFY. */
  leave(committed: boolean, notified: boolean): void;
}

const NOTIFY = { name: 'cadre_outbox_notify', text: "SELECT pg_notify($1, '')" };

/** Sends the relays' wake-up on `channel`, in a statement of its own. */
export function notifyRelays(pool: Pick<Pool, 'query'>, channel: string): Promise<unknown> {
  return pool.query({ ...NOTIFY, values: [channel] });
}

/** 1 ms bounds the wake-up delay it adds, and the NOTIFYs to 1,000/s however many appends. */
const MIN_GAP_MS = 1;

export function createRelayWaker(pool: Pool, channel: string, local: LocalRelays, minGapMs = MIN_GAP_MS): RelayWaker {
  let active = 0;
  // A commit is waiting for a NOTIFY sent after it.
  let wanted = false;
  // A NOTIFY is scheduled or in flight; it will look at `wanted` again when done.
  let busy = false;
  let lastSent = -Infinity;

  const fire = (): void => {
    wanted = false; // everything committed so far is covered by this NOTIFY
    lastSent = performance.now();
    // Through a promise, so that even a synchronous throw ends in `finally` and never leaves `busy`.
    Promise.resolve().then(() => notifyRelays(pool, channel)).catch(() => undefined).finally(() => {
      busy = false;
      if (wanted) flush();
    });
  };

  const flush = (): void => {
    busy = true;
    const wait = lastSent + minGapMs - performance.now();
    // Unref'd: a wake-up must not keep the process alive; the relay's poll covers a lost one.
    if (wait > 0) setTimeout(fire, wait).unref();
    else fire();
  };

  return {
    enter() {
      active++;
      return active === 1 && !busy && !local.covering();
    },
    leave(committed, notified) {
      active--;
      if (!committed) return;
      local.wake();
      if (notified || local.covering()) return;
      wanted = true;
      if (!busy) flush();
    },
  };
}
