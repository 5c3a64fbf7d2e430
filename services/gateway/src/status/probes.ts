import type { Pool } from 'pg';
import type { Bus } from '@cadre/bus';
import { CadreError, authenticate } from '@cadre/proto';
import { call } from '@cadre/runtime';

export interface Probes {
  /** Each dependency and whether it answers; cached for a second so probes cannot flood them. */
  checks(): Promise<{ readonly bus: boolean; readonly identity: boolean }>;
  database(): Promise<boolean>;
}

const CHECK_TIMEOUT_MS = 2000;
const CACHE_MS = 1000;

async function bounded(check: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * identity answers when it rejects a credential that cannot be valid: any typed reply but
 * `unavailable`/`timeout` proves a replica is serving, without a dedicated ping subject.
 */
async function identityAnswers(bus: Bus): Promise<boolean> {
  try {
    await call(bus, authenticate, { token: 'readiness-probe' }, { timeoutMs: CHECK_TIMEOUT_MS });
    return true;
  } catch (error) {
    return error instanceof CadreError && error.kind !== 'unavailable' && error.kind !== 'timeout' && error.kind !== 'internal';
  }
}

export function createProbes(bus: Bus, pool: Pool): Probes {
  let cached: { at: number; value: Promise<{ bus: boolean; identity: boolean }> } | undefined;
  return {
    checks() {
      const now = Date.now();
      if (!cached || now - cached.at > CACHE_MS) {
        const value = (async () => {
          const healthy = bus.isHealthy();
          return { bus: healthy, identity: healthy && (await bounded(identityAnswers(bus))) };
        })();
        cached = { at: now, value };
      }
      return cached.value;
    },
    database: () => bounded(pool.query('SELECT 1').then(() => true)),
  };
}
