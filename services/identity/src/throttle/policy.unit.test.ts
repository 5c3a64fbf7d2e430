import { retryAfterSeconds } from './policy';

const policy = { maxFailures: 3, windowSeconds: 60 };
const start = new Date('2025-01-01T00:00:00Z');
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);

describe('login throttle policy', () => {
  it('lets a key try while it has failures to spare', () => {
    expect(retryAfterSeconds(undefined, policy, start)).toBe(0);
    expect(retryAfterSeconds({ failures: 2, windowStartedAt: start }, policy, at(1))).toBe(0);
  });

  it('locks a key that used them up until its window ends', () => {
    expect(retryAfterSeconds({ failures: 3, windowStartedAt: start }, policy, at(10))).toBe(50);
    expect(retryAfterSeconds({ failures: 3, windowStartedAt: start }, policy, at(59.5))).toBe(1);
    expect(retryAfterSeconds({ failures: 9, windowStartedAt: start }, policy, at(60))).toBe(0);
  });
});
