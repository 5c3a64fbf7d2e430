import { UnauthenticatedError } from '@cadre/proto';
import { deciderSpec } from '@cadre/testing';
import type { IdentityEvent } from '../events';
import type { SessionCommand } from './decide';
import { sessionDecider } from './decider';

const now = new Date('2025-01-01T00:00:00Z');
const later = new Date('2025-01-08T00:00:00Z');
const session = deciderSpec(sessionDecider);

const started: IdentityEvent = {
  id: 't1', type: 'session_started', occurredAt: now.toISOString(),
  data: { session_id: 's1', user_id: 'u1', method: 'password', expires_at: later.toISOString() },
};
const refreshed: IdentityEvent = {
  id: 't2', type: 'session_refreshed', occurredAt: now.toISOString(), data: { session_id: 's1', user_id: 'u1', expires_at: later.toISOString() },
};
const refreshWith = (presentedTokenEventId: string, at = now): SessionCommand => ({
  kind: 'refresh', sessionId: 's1', presentedTokenEventId, eventId: 't3', revokeEventId: 'r1', expiresAt: later, now: at, graceMs: 30_000,
});
const afterSeconds = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe('session', () => {
  it('rotates when the latest refresh token is presented', () => {
    session.given([started, refreshed]).when(refreshWith('t2')).thenMatch([{ type: 'session_refreshed', id: 't3' }])
      .thenState({ status: 'active', userId: 'u1', tokenEventId: 't3', expiresAt: later, previous: { tokenEventId: 't2', rotatedAt: now } });
  });

  it('lets the token just rotated through for the grace window, appending nothing', () => {
    session.given([started, refreshed]).when(refreshWith('t1', afterSeconds(30))).then([]);
  });

  it('revokes the whole session when an older token of the chain comes back', () => {
    session.given([started, refreshed]).when(refreshWith('t1', afterSeconds(31)))
      .then([expect.objectContaining({ type: 'session_revoked', id: 'r1', data: { session_id: 's1', user_id: 'u1', reason: 'refresh_token_reused' } })]);
    const again: IdentityEvent = { ...refreshed, id: 't3' };
    session.given([started, refreshed, again]).when(refreshWith('t1'))
      .then([expect.objectContaining({ type: 'session_revoked', id: 'r1', data: { session_id: 's1', user_id: 'u1', reason: 'refresh_token_reused' } })]);
  });

  it('refuses a refresh of a revoked, unknown or expired session', () => {
    const revoked: IdentityEvent = { id: 'r0', type: 'session_revoked', occurredAt: now.toISOString(), data: { session_id: 's1', user_id: 'u1', reason: 'logout' } };
    session.given([started, revoked]).when(refreshWith('t1')).thenThrows(UnauthenticatedError);
    session.when(refreshWith('t1')).thenThrows(UnauthenticatedError);
    session.given([started]).when(refreshWith('t1', later)).thenThrows(UnauthenticatedError);
  });

  it('revokes once: a second logout appends nothing', () => {
    const revoke: SessionCommand = { kind: 'revoke', sessionId: 's1', reason: 'logout', eventId: 'r2', now };
    const { events } = session.given([started]).when(revoke).thenMatch([{ type: 'session_revoked' }]);
    session.given([started, ...events]).when(revoke).then([]);
  });
});
