import { NotFoundError } from '@cadre/proto';
import type { IdentityEvent } from '../events';
import { evolveApiKey, initialApiKey } from './api-key';
import { decideApiKey } from './decide';

const now = new Date('2025-01-01T00:00:00Z');
const created: IdentityEvent = {
  id: 'e1', type: 'api_key_created', occurredAt: now.toISOString(),
  data: { key_id: 'k1', user_id: 'u1', name: 'ci', prefix: 'cadre_abcdefgh', expires_at: null },
};
const given = (...events: IdentityEvent[]) => events.reduce(evolveApiKey, initialApiKey);
const revokeBy = (userId: string, admin = false) => ({ kind: 'revoke' as const, keyId: 'k1', actor: { userId, admin }, eventId: 'e2', now });

describe('api key', () => {
  it('is revoked by its owner or an admin', () => {
    expect(decideApiKey(revokeBy('u1'), given(created)).map((e) => e.type)).toEqual(['api_key_revoked']);
    expect(decideApiKey(revokeBy('admin', true), given(created)).map((e) => e.data)).toEqual([{ key_id: 'k1', user_id: 'u1' }]);
  });

  it('is "not found" for anyone else, and when it does not exist', () => {
    expect(() => decideApiKey(revokeBy('u2'), given(created))).toThrow(NotFoundError);
    expect(() => decideApiKey(revokeBy('u1'), given())).toThrow(NotFoundError);
  });

  it('revoked twice appends once', () => {
    const [revoked] = decideApiKey(revokeBy('u1'), given(created));
    expect(decideApiKey(revokeBy('u1'), given(created, revoked!))).toEqual([]);
  });

  it('never carries the key or its hash in the created event', () => {
    const [event] = decideApiKey({
      kind: 'create', keyId: 'k1', userId: 'u1', name: 'ci', prefix: 'cadre_abcdefgh', expiresAt: null, eventId: 'e1', now,
    }, given());
    expect(Object.keys(event!.data).sort()).toEqual(['expires_at', 'key_id', 'name', 'prefix', 'user_id']);
  });
});
