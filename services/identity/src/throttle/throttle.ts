import { RateLimitedError } from '@cadre/proto';
import type { IdentityDb } from '../storage/tables';
import { retryAfterSeconds, type ThrottlePolicy } from './policy';

/** What a login attempt is counted against. */
export interface ThrottleSubject {
  readonly account: string;
  /** The client address the gateway passed; absent for calls made inside the platform. */
  readonly address?: string;
  /** A second-factor attempt also counts against its pending token. */
  readonly pendingToken?: string;
}

/** An attempt that was let through; a failure needs nothing more (it was counted up front). */
export interface Attempt {
  /** The credential was right: the attempt is given back and the account's count from this address cleared. */
  succeeded(): Promise<void>;
}

/**
 * Login throttling, kept in Postgres so that every replica counts the same attempts.
 *
 * An attempt is counted *before* the slow check (argon2, TOTP), in one atomic upsert per key, and
 * refused when a count is over its limit: however many guesses arrive at once, no more than the
 * limit are ever checked. A success gives its attempt back. Counts are kept per account *and*
 * address (so a stranger's failures never lock the owner out from elsewhere), per address
 * (across accounts), and per pending 2FA token.
 */
export interface LoginThrottle {
  /** Counts the attempt, or throws RateLimitedError (with `retry_after_seconds`) when a key is over its limit. */
  attempt(subject: ThrottleSubject, now: Date): Promise<Attempt>;
}

export interface ThrottlePolicies {
  /** Failures of one account from one address. */
  readonly account: ThrottlePolicy;
  /** Failures from one address, whatever the accounts. */
  readonly address: ThrottlePolicy;
  /** Codes tried against one pending 2FA token. */
  readonly pendingToken: ThrottlePolicy;
}

export function createLoginThrottle(db: IdentityDb, policies: ThrottlePolicies): LoginThrottle {
  const keysOf = (subject: ThrottleSubject) => [
    { key: `account:${subject.account}|${subject.address ?? 'internal'}`, policy: policies.account, keep: false },
    ...(subject.address ? [{ key: `address:${subject.address}`, policy: policies.address, keep: true }] : []),
    ...(subject.pendingToken ? [{ key: `pending:${subject.pendingToken}`, policy: policies.pendingToken, keep: true }] : []),
  ];

  const count = async (key: string, policy: ThrottlePolicy, now: Date): Promise<number> => {
    const windowStart = new Date(now.getTime() - policy.windowSeconds * 1000);
    // One statement: concurrent attempts on several replicas each see their own count.
    const row = await db.insertInto('login_failures').values({ key, failures: 1, window_started_at: now })
      .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({
        failures: eb.case().when('login_failures.window_started_at', '<=', windowStart).then(1)
          .else(eb('login_failures.failures', '+', 1)).end(),
        window_started_at: eb.case().when('login_failures.window_started_at', '<=', windowStart).then(now)
          .else(eb.ref('login_failures.window_started_at')).end(),
      })))
      .returning(['failures', 'window_started_at'])
      .executeTakeFirstOrThrow();
    // Over the limit once this attempt is counted: refused, and the wait is what is left of the window.
    return row.failures > policy.maxFailures
      ? retryAfterSeconds({ failures: row.failures - 1, windowStartedAt: row.window_started_at }, policy, now)
      : 0;
  };

  return {
    async attempt(subject, now) {
      const keys = keysOf(subject);
      const waits = await Promise.all(keys.map((k) => count(k.key, k.policy, now)));
      const wait = Math.max(0, ...waits);
      if (wait > 0) throw new RateLimitedError('too many failed login attempts; try again later', { retry_after_seconds: wait });
      return {
        async succeeded() {
          for (const { key, keep } of keys) {
            if (keep) {
              await db.updateTable('login_failures').set((eb) => ({ failures: eb('failures', '-', 1) }))
                .where('key', '=', key).where('failures', '>', 0).execute();
            } else {
              await db.deleteFrom('login_failures').where('key', '=', key).execute();
            }
          }
        },
      };
    },
  };
}
