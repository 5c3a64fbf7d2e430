import { DEFAULT_SCORE_SETTINGS as S, adaptiveScore, blend } from './formula';

// Each expectation is worked out by hand from the anchor's formula with the default settings:
// 0.60·usefulness + 0.25·recency + 0.15·frequency, floored at 0.35; recency max(0.30, 2^(−days/30));
// frequency min(1, ln(n+1)/ln 50); usefulness 0.5 under 3 valuations, else the rate pulled toward
// 0.5 with a half-life of 90 days since the last valuation.
const now = new Date('2026-12-06T00:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
const counts = (over: Partial<Parameters<typeof adaptiveScore>[0]>) => ({
  accessCount: 0, usefulCount: 0, notUsefulCount: 0, lastAccessed: now, lastValued: undefined, ...over,
});

describe('adaptive score', () => {
  it('is neutral usefulness, full recency and no frequency for a memory just saved', () => {
    const score = adaptiveScore(counts({}), S, now);
    expect(score.usefulness).toBe(0.5);
    expect(score.recency).toBe(1);
    expect(score.frequency).toBe(0);
    expect(score.adaptive).toBeCloseTo(0.6 * 0.5 + 0.25 * 1, 12); // 0.55
  });

  it('ignores valuations until there are enough of them', () => {
    const two = adaptiveScore(counts({ usefulCount: 2, lastValued: now }), S, now);
    expect(two.usefulness).toBe(0.5);
    const three = adaptiveScore(counts({ usefulCount: 3, lastValued: now }), S, now);
    expect(three.usefulness).toBe(1);
    expect(three.adaptive).toBeCloseTo(0.6 + 0.25, 12); // 0.85
  });

  it('rehabilitates a useless memory toward neutral with a 90-day half-life', () => {
    // 0 of 4 useful, last valued 90 days ago: 0.5 + (0 − 0.5) · 2^−1 = 0.25.
    const score = adaptiveScore(counts({ notUsefulCount: 4, lastValued: daysAgo(90) }), S, now);
    expect(score.usefulness).toBeCloseTo(0.25, 12);
    // 180 days: 0.5 − 0.5 · 0.25 = 0.375.
    expect(adaptiveScore(counts({ notUsefulCount: 4, lastValued: daysAgo(180) }), S, now).usefulness).toBeCloseTo(0.375, 12);
  });

  it('halves recency every 30 days down to its floor of 0.30', () => {
    expect(adaptiveScore(counts({ lastAccessed: daysAgo(30) }), S, now).recency).toBeCloseTo(0.5, 12);
    expect(adaptiveScore(counts({ lastAccessed: daysAgo(45) }), S, now).recency).toBeCloseTo(2 ** -1.5, 12); // 0.35355…
    expect(adaptiveScore(counts({ lastAccessed: daysAgo(60) }), S, now).recency).toBe(0.3); // 0.25 → floor
  });

  it('grows frequency with the log of recalls and caps it at 1', () => {
    expect(adaptiveScore(counts({ accessCount: 7 }), S, now).frequency).toBeCloseTo(Math.log(8) / Math.log(50), 12); // 0.53155…
    expect(adaptiveScore(counts({ accessCount: 49 }), S, now).frequency).toBeCloseTo(1, 12);
    expect(adaptiveScore(counts({ accessCount: 500 }), S, now).frequency).toBe(1);
  });

  it('never falls below the floor of 0.35', () => {
    // usefulness 0 (0 of 3, valued now), recency at its floor, no recalls: 0.25·0.30 = 0.075 → 0.35.
    const score = adaptiveScore(counts({ notUsefulCount: 3, lastValued: now, lastAccessed: daysAgo(400) }), S, now);
    expect(score.usefulness).toBe(0);
    expect(score.adaptive).toBe(0.35);
  });

  it('adds the parts with their weights', () => {
    // 3 of 4 useful valued now (0.75), recalled 30 days ago (0.5), 7 recalls (ln 8 / ln 50).
    const score = adaptiveScore(counts({ usefulCount: 3, notUsefulCount: 1, lastValued: now, lastAccessed: daysAgo(30), accessCount: 7 }), S, now);
    expect(score.adaptive).toBeCloseTo(0.6 * 0.75 + 0.25 * 0.5 + 0.15 * (Math.log(8) / Math.log(50)), 12); // 0.65473…
  });

  it('follows changed settings', () => {
    const settings = { ...S, min_valuations_for_signal: 1, score_floor: 0, weight_recency: 0, weight_frequency: 0, weight_usefulness: 1 };
    expect(adaptiveScore(counts({ notUsefulCount: 1, lastValued: now }), settings, now).adaptive).toBe(0);
  });

  it('blends a raw score at recall: raw · (0.70 + 0.30 · adaptive)', () => {
    expect(blend(2, 1, S)).toBeCloseTo(2, 12);
    expect(blend(2, 0.35, S)).toBeCloseTo(2 * 0.805, 12);
  });
});
