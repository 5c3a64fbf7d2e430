import type { Decider } from '@cadre/eventstore';
import { evolveProviders, toProviderEvent, type ProviderEvent, type ProviderSettingsState } from './provider-state';

/** A change of one provider's settings (the key already sealed), and the time it is asked at. */
export interface ProviderChange {
  readonly data: ProviderEvent['data'];
  readonly now: Date;
}

/**
 * The providers' settings (one stream for all). A change is refused — before it is stored — when
 * `check` throws on the settings it would leave (e.g. a new provider without a base URL, which
 * the model registry cannot build).
 */
export function providerSettingsDecider(check: (settings: ProviderSettingsState) => void): Decider<ProviderChange, ProviderSettingsState, ProviderEvent> {
  return {
    initialState: new Map(),
    decide({ data, now }, state) {
      const event: ProviderEvent = { type: 'provider_settings_updated', data };
      check(evolveProviders(state, { ...event, occurredAt: now.toISOString() }));
      return [event];
    },
    evolve: evolveProviders,
    fromEnvelope: toProviderEvent,
  };
}
