import type { Pool } from 'pg';

/** A relay of this process, as the appends of its store see it. */
export interface LocalRelay {
  /** After each batch: whether it held the relay lock (it is the replica relaying now). */
  holding(held: boolean): void;
  /** The relay stopped. */
  leave(): void;
}

/**
 * The relays running in this process for one store (its pool and schema). An append that commits
 * wakes them directly; while one of them holds the relay lock, a NOTIFY through Postgres would
 * only wake that same relay, so the append sends none (a statement and a round trip less, and
 * no commit waits on Postgres's notify queue lock).
 */
export interface LocalRelays {
  /** True while a relay of this process holds the relay lock. */
  covering(): boolean;
  /** Wakes every relay of this process for the store. */
  wake(): void;
  join(wake: () => void): LocalRelay;
}

const byPool = new WeakMap<Pool, Map<string, LocalRelays>>();

/** The one LocalRelays of a store in this process (a store and its relays share the pool object). */
export function localRelays(pool: Pool, schema: string): LocalRelays {
  let schemas = byPool.get(pool);
  if (schemas === undefined) {
    schemas = new Map();
    byPool.set(pool, schemas);
  }
  let relays = schemas.get(schema);
  if (relays === undefined) {
    relays = createLocalRelays();
    schemas.set(schema, relays);
  }
  return relays;
}

function createLocalRelays(): LocalRelays {
  const members = new Map<object, { readonly wake: () => void; held: boolean }>();
  let holders = 0;
  return {
    covering: () => holders > 0,
    wake() {
      for (const member of members.values()) member.wake();
    },
    join(wake) {
      const key = {};
      const member = { wake, held: false };
      members.set(key, member);
      const hold = (held: boolean): void => {
        if (member.held === held) return;
        member.held = held;
        holders += held ? 1 : -1;
      };
      return {
        holding: hold,
        leave() {
          hold(false);
          members.delete(key);
        },
      };
    },
  };
}
