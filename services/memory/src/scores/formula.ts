import type { ScoreSettings } from '@cadre/proto';

/** The anchor's parameters: what `reset` restores. */
export const DEFAULT_SCORE_SETTINGS: ScoreSettings = Object.freeze({
  min_valuations_for_signal: 3,
  rehabilitation_half_life_days: 90,
  recency_half_life_days: 30,
  recency_floor: 0.3,
  frequency_saturation: 50,
  weight_usefulness: 0.6,
  weight_recency: 0.25,
  weight_frequency: 0.15,
  score_floor: 0.35,
  blend_base: 0.7,
  blend_weight: 0.3,
});

/** What the score of one memory for one agent is computed from. */
export interface ScoreCounts {
  readonly accessCount: number;
  readonly usefulCount: number;
  readonly notUsefulCount: number;
  /** Last recall that surfaced it; when never, the memory's last change stands in. */
  readonly lastAccessed: Date | undefined;
  readonly lastValued: Date | undefined;
}

export interface AdaptiveScore {
  readonly usefulness: number;
  readonly recency: number;
  readonly frequency: number;
  readonly adaptive: number;
}

const DAY_MS = 86_400_000;
const ageDays = (now: Date, then: Date | undefined): number => (then === undefined ? 0 : Math.max(0, (now.getTime() - then.getTime()) / DAY_MS));

/**
 * The adaptive score of a memory for an agent:
 * - usefulness: 0.5 below `min_valuations_for_signal` valuations, else useful / valuations, pulled
 *   back toward 0.5 with a half-life of `rehabilitation_half_life_days` since the last valuation
 *   (a memory once judged useless is given another chance as time passes);
 * - recency: 2^(−age / `recency_half_life_days`) since the last recall, never below `recency_floor`;
 * - frequency: ln(n + 1) / ln(`frequency_saturation`), at most 1;
 * - adaptive: the weighted sum, never below `score_floor`.
 */
export function adaptiveScore(counts: ScoreCounts, settings: ScoreSettings, now: Date): AdaptiveScore {
  const valuations = counts.usefulCount + counts.notUsefulCount;
  let usefulness = 0.5;
  if (valuations >= settings.min_valuations_for_signal && valuations > 0) {
    const rate = counts.usefulCount / valuations;
    const pull = 2 ** (-ageDays(now, counts.lastValued) / settings.rehabilitation_half_life_days);
    usefulness = 0.5 + (rate - 0.5) * pull;
  }
  const recency = Math.max(settings.recency_floor, 2 ** (-ageDays(now, counts.lastAccessed) / settings.recency_half_life_days));
  const frequency = Math.min(1, Math.log(counts.accessCount + 1) / Math.log(settings.frequency_saturation));
  const weighted = settings.weight_usefulness * usefulness + settings.weight_recency * recency + settings.weight_frequency * frequency;
  return { usefulness, recency, frequency, adaptive: Math.max(settings.score_floor, weighted) };
}

/** A raw search score blended with the adaptive score at recall: raw × (base + weight × adaptive). */
export function blend(raw: number, adaptive: number, settings: ScoreSettings): number {
  return raw * (settings.blend_base + settings.blend_weight * adaptive);
}
