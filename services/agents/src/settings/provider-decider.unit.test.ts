import { ValidationError } from '@cadre/proto';
import { deciderSpec } from '@cadre/testing';
import { providerSettingsDecider } from './provider-decider';

const now = new Date('2025-01-01T00:00:00.000Z');
// Stands for the registry: a provider other than the known ones needs a base URL.
const providers = deciderSpec(providerSettingsDecider((settings) => {
  for (const [id, p] of settings) if (id === 'local' && !p.base_url) throw new ValidationError(`provider ${id} needs a base URL`);
}));

describe('provider settings decisions', () => {
  it('record a change field by field', () => {
    const first = providers.when({ data: { provider_id: 'local', kind: 'openai', base_url: 'http://x' }, now })
      .then([{ type: 'provider_settings_updated', data: { provider_id: 'local', kind: 'openai', base_url: 'http://x' } }]);
    providers.given(first.events).when({ data: { provider_id: 'local', enabled: false }, now })
      .thenState(new Map([['local', { kind: 'openai', base_url: 'http://x', enabled: false, updated_at: '' }]]));
  });

  it('refuse settings the check refuses, on the state the change would leave', () => {
    providers.when({ data: { provider_id: 'local', kind: 'openai' }, now }).thenThrows(ValidationError);
    providers.given([{ type: 'provider_settings_updated', data: { provider_id: 'local', base_url: 'http://x' } }])
      .when({ data: { provider_id: 'local', base_url: null }, now }).thenThrows('validation_failed');
  });
});
