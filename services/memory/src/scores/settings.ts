import type { Decider, EventStore } from '@cadre/eventstore';
import { ScoreSettings, ValidationError, type EventEnvelope } from '@cadre/proto';
import { DEFAULT_SCORE_SETTINGS } from './formula';

export const SCORE_SETTINGS_STREAM = 'memory-score-settings';

export type SettingsCommand =
  | { readonly kind: 'update'; readonly patch: Partial<ScoreSettings> }
  | { readonly kind: 'reset' };

export interface SettingsEvent {
  readonly type: 'memory_score_settings_updated';
  readonly data: { readonly settings: ScoreSettings; readonly reset: boolean };
}

/** The adaptive score's parameters: the defaults until changed; a change that makes the weights exceed 1 is refused. */
export const settingsDecider: Decider<SettingsCommand, ScoreSettings, SettingsEvent, ScoreSettings> = {
  initialState: DEFAULT_SCORE_SETTINGS,
  decide(command, state) {
    const next = command.kind === 'reset' ? DEFAULT_SCORE_SETTINGS : ScoreSettings.parse({ ...state, ...command.patch });
    const weights = next.weight_usefulness + next.weight_recency + next.weight_frequency;
    if (weights > 1 + 1e-9) throw new ValidationError(`the three weights add up to ${weights.toFixed(3)}; at most 1`, { weights });
    if (next.blend_base + next.blend_weight > 1 + 1e-9) throw new ValidationError('blend_base + blend_weight is at most 1');
    if (JSON.stringify(next) === JSON.stringify(state)) return { events: [], result: state };
    return { events: [{ type: 'memory_score_settings_updated', data: { settings: next, reset: command.kind === 'reset' } }], result: next };
  },
  evolve: (_state, event) => event.data.settings,
  fromEnvelope: (envelope: EventEnvelope) =>
    envelope.type === 'memory_score_settings_updated' ? (envelope as unknown as SettingsEvent) : undefined,
};

/** The settings as stored, read fresh (a change on one replica is seen by the next read on any). */
export async function readSettings(store: EventStore): Promise<ScoreSettings> {
  const events = await store.readStream(SCORE_SETTINGS_STREAM);
  const last = events.at(-1);
  return last === undefined ? DEFAULT_SCORE_SETTINGS : (last.data as { settings: ScoreSettings }).settings;
}

/** The settings for searches: read at most once per `ttlMs` per replica. */
export function cachedSettings(store: EventStore, clock: () => Date, ttlMs = 1_000): () => Promise<ScoreSettings> {
  let cached: { at: number; value: Promise<ScoreSettings> } | undefined;
  return () => {
    const now = clock().getTime();
    if (cached === undefined || now - cached.at > ttlMs) {
      const value = readSettings(store);
      value.catch(() => { cached = undefined; });
      cached = { at: now, value };
    }
    return cached.value;
  };
}
