import type { Pool } from 'pg';

/**
 * Decides how an append wakes the outbox relay (a NOTIFY on the schema's channel).
 *
 * A NOTIFY inside a transaction takes a cluster-wide lock at commit and holds it until the
 * commit record is flushed (Postgres serialises notifying commits to keep its queue in commit
 * order). Concurrent appends that all NOTIFY therefore commit one at a time and lose group
 * commit. So an append NOTIFYs in its own statement only when it is the store's sole append in
 * flight (no one to queue behind, and no extra round trip); otherwise it skips it and, once
 * committed, asks for one NOTIFY sent after the fact, shared by every append that commits while
 * one is in flight. The NOTIFY is only a wake-up: the rows are committed before it is sent, and
 * if it never arrives (process died, pool closed) the relay's poll still finds them.
 */
export interface RelayWaker {
  /** Before an append: true when its statement should NOTIFY itself. */
  enter(): boolean;
  /** After it: `committed` when its rows are in; `notified` when its statement sent the NOTIFY. */
  leave(committed: boolean, notified: boolean): void;
}

const NOTIFY = { name: 'cadre_outbox_notify', text: "SELECT pg_notify($1, '')" };

export function createRelayWaker(pool: Pool, channel: string): RelayWaker {
  let active = 0;
  let sending = false;
  let again = false;

  const send = (): void => {
    if (sending) {
      // The NOTIFY in flight may have been sent before this commit: send one more after it.
      again = true;
      return;
    }
    sending = true;
    pool.query({ ...NOTIFY, values: [channel] }).catch(() => undefined).finally(() => {
      sending = false;
      if (again) {
        again = false;
        send();
      }
    });
  };

  return {
    enter() {
      active++;
      return active === 1 && !sending;
    },
    leave(committed, notified) {
      active--;
      if (committed && !notified) send();
    },
  };
}
