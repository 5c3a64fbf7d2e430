import { NotFoundError } from '@cadre/proto';
import { deciderSpec } from '@cadre/testing';
import type { IdentityEvent } from '../events';
import { apiKeyDecider } from './decider';

const now = new Date('2025-01-01T00:00:00Z');
const created: IdentityEvent = {
  id: 'e1', type: 'api_key_created', occurredAt: now.toISOString(),
  data: { key_id: 'k1', user_id: 'u1', name: 'ci', prefix: 'cadre_abcdefgh', expires_at: null },
};
const apiKey = deciderSpec(apiKeyDecider);
const revokeBy = (userId: string, admin = false) => ({ kind: 'revoke' as const, keyId: 'k1', actor: { userId, admin }, eventId: 'e2', now });

describe('api key', () => {
  it('is revoked by its owner or an admin', () => {
    apiKey.given([created]).when(revokeBy('u1')).thenMatch([{ type: 'api_key_revoked' }]);
    apiKey.given([created]).when(revokeBy('admin', true)).then([{ id: 'e2', type: 'api_key_revoked', occurredAt: now.toISOString(), data: { key_id: 'k1', user_id: 'u1' } }]);
  });

  it('is "not found" for anyone else, and when it does not exist', () => {
    apiKey.given([created]).when(revokeBy('u2')).thenThrows(NotFoundError);
    apiKey.when(revokeBy('u1')).thenThrows(NotFoundError);
  });

  it('revoked twice appends once', () => {
    const { events } = apiKey.given([created]).when(revokeBy('u1')).thenState({ status: 'revoked', userId: 'u1' });
    apiKey.given([created, ...events]).when(revokeBy('u1')).then([]);
  });

  it('never carries the key or its hash in the created event', () => {
    const { events } = apiKey.when({
      kind: 'create', keyId: 'k1', userId: 'u1', name: 'ci', prefix: 'cadre_abcdefgh', expiresAt: null, eventId: 'e1', now,
    }).thenMatch([{ type: 'api_key_created' }]);
    expect(Object.keys(events[0]!.data).sort()).toEqual(['expires_at', 'key_id', 'name', 'prefix', 'user_id']);
  });
});
