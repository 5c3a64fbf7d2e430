import { RateLimitedError } from '@cadre/proto';
import type { IdentityDb } from '../storage/tables';
import { retryAfterSeconds, type FailureRecord, type ThrottlePolicy } from './policy';

/** What a login attempt is counted against. */
export interface ThrottleSubject {
  readonly account: string;
  /** The client address the gateway passed; absent for calls made inside the platform. */
  readonly address?: string;
}

/**
 * Login throttling per account and per client address, kept in Postgres so that every replica
 * counts the same failures.
 */
export interface LoginThrottle {
  /** Throws RateLimitedError (with `retry_after_seconds`) when either key is locked. */
  check(subject: ThrottleSubject, now: Date): Promise<void>;
  recordFailure(subject: ThrottleSubject, now: Date): Promise<void>;
  /** A successful login clears the account's failures (not the address's). */
  recordSuccess(subject: ThrottleSubject): Promise<void>;
}

export function createLoginThrottle(db: IdentityDb, policies: { readonly account: ThrottlePolicy; readonly address: ThrottlePolicy }): LoginThrottle {
  const keysOf = (subject: ThrottleSubject) => [
    { key: `account:${subject.account}`, policy: policies.account },
    ...(subject.address ? [{ key: `address:${subject.address}`, policy: policies.address }] : []),
  ];

  return {
    async check(subject, now) {
      const keys = keysOf(subject);
      const rows = await db.selectFrom('login_failures').selectAll().where('key', 'in', keys.map((k) => k.key)).execute();
      const records = new Map<string, FailureRecord>(rows.map((r) => [r.key, { failures: r.failures, windowStartedAt: r.window_started_at }]));
      const wait = Math.max(0, ...keys.map((k) => retryAfterSeconds(records.get(k.key), k.policy, now)));
      if (wait > 0) throw new RateLimitedError('too many failed login attempts; try again later', { retry_after_seconds: wait });
    },
    async recordFailure(subject, now) {
      for (const { key, policy } of keysOf(subject)) {
        const windowStart = new Date(now.getTime() - policy.windowSeconds * 1000);
        // One upsert: concurrent failures on several replicas all count.
        await db.insertInto('login_failures').values({ key, failures: 1, window_started_at: now })
          .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({
            failures: eb.case().when('login_failures.window_started_at', '<=', windowStart).then(1)
              .else(eb('login_failures.failures', '+', 1)).end(),
            window_started_at: eb.case().when('login_failures.window_started_at', '<=', windowStart).then(now)
              .else(eb.ref('login_failures.window_started_at')).end(),
          })))
          .execute();
      }
    },
    async recordSuccess(subject) {
      await db.deleteFrom('login_failures').where('key', '=', `account:${subject.account}`).execute();
    },
  };
}
