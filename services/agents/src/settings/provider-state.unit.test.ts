import type { EventEnvelope } from '@cadre/proto';
import { createSecretBox } from './crypto';
import { apiLlmSettings, foldProviders } from './provider-state';

const box = createSecretBox('a provider key secret that is long enough');
const envelope = (version: number, data: Record<string, unknown>): EventEnvelope => ({
  id: `e${version}`, type: 'provider_settings_updated', stream: 'provider-settings', version, occurredAt: '2026-12-06T00:00:00.000Z', data, meta: {},
} as unknown as EventEnvelope);

describe('provider settings state', () => {
  it('opens a key sealed inline by an older release, and a key kept by reference, the later winning', () => {
    const old = envelope(1, { provider_id: 'p', kind: 'openai', base_url: 'http://x/v1', api_key_encrypted: box.seal('sk-old-inline-key'), api_key_masked: 'sk-…0000' });
    expect(apiLlmSettings(foldProviders([old]), box, new Map()).providers?.p?.api_key).toBe('sk-old-inline-key');

    const now = envelope(2, { provider_id: 'p', api_key_ref: 'r1', api_key_encrypted: null, api_key_masked: 'sk-…1111' });
    const sealed = new Map([['r1', box.seal('sk-new-by-reference')]]);
    expect(apiLlmSettings(foldProviders([old, now]), box, sealed).providers?.p?.api_key).toBe('sk-new-by-reference');

    const removed = envelope(3, { provider_id: 'p', api_key_ref: null, api_key_encrypted: null, api_key_masked: null });
    expect(apiLlmSettings(foldProviders([old, now, removed]), box, sealed).providers?.p?.api_key).toBeUndefined();
  });
});
