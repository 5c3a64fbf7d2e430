import { backoffDelay, DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy } from './retry';

describe('Retry-After', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delta seconds, decimals included', () => {
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 0.5 ', now)).toBe(500);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP date relative to now, and a past date as now', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    for (const value of [undefined, null, '', 'soon', '-1', '1 2']) expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('backoff', () => {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };

  it('stays within half and all of the exponential step', () => {
    for (let retry = 1; retry <= 8; retry++) {
      const step = Math.min(1000, 100 * 2 ** (retry - 1));
      expect(backoffDelay(retry, policy, () => 0)).toBe(step / 2);
      expect(backoffDelay(retry, policy, () => 0.999999)).toBeLessThanOrEqual(step);
      const sample = backoffDelay(retry, policy);
      expect(sample).toBeGreaterThanOrEqual(step / 2);
      expect(sample).toBeLessThanOrEqual(step);
    }
  });

  it('never exceeds the cap however many retries', () => {
    expect(backoffDelay(50, policy, () => 1)).toBe(1000);
  });
});
