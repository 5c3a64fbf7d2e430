/** How many failed logins a key (an account or an address) may have in a window. */
export interface ThrottlePolicy {
  readonly maxFailures: number;
  readonly windowSeconds: number;
}

/** Failures of one key since its window started. */
export interface FailureRecord {
  readonly failures: number;
  readonly windowStartedAt: Date;
}

/**
 * Seconds until the key may try again: 0 while it has failures to spare or once its window
 * has passed. The window starts at the first failure, so a locked key waits at most one window.
 */
export function retryAfterSeconds(record: FailureRecord | undefined, policy: ThrottlePolicy, now: Date): number {
  if (!record) return 0;
  const windowEndsAt = record.windowStartedAt.getTime() + policy.windowSeconds * 1000;
  if (now.getTime() >= windowEndsAt || record.failures < policy.maxFailures) return 0;
  return Math.max(1, Math.ceil((windowEndsAt - now.getTime()) / 1000));
}
