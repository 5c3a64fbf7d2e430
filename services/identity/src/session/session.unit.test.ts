import { UnauthenticatedError } from '@cadre/proto';
import type { IdentityEvent } from '../events';
import { decideSession, type SessionCommand } from './decide';
import { evolveSession, initialSession } from './session';

const now = new Date('2025-01-01T00:00:00Z');
const later = new Date('2025-01-08T00:00:00Z');
const given = (...events: IdentityEvent[]) => events.reduce(evolveSession, initialSession);

const started: IdentityEvent = {
  id: 't1', type: 'session_started', occurredAt: now.toISOString(),
  data: { session_id: 's1', user_id: 'u1', method: 'password', expires_at: later.toISOString() },
};
const refreshed: IdentityEvent = {
  id: 't2', type: 'session_refreshed', occurredAt: now.toISOString(), data: { session_id: 's1', user_id: 'u1', expires_at: later.toISOString() },
};
const refreshWith = (presentedTokenEventId: string, at = now): SessionCommand => ({
  kind: 'refresh', sessionId: 's1', presentedTokenEventId, eventId: 't3', revokeEventId: 'r1', expiresAt: later, now: at,
});

describe('session', () => {
  it('rotates when the latest refresh token is presented', () => {
    const events = decideSession(refreshWith('t2'), given(started, refreshed));
    expect(events.map((e) => [e.type, e.id])).toEqual([['session_refreshed', 't3']]);
  });

  it('revokes the whole session when an older token of the chain comes back', () => {
    const events = decideSession(refreshWith('t1'), given(started, refreshed));
    expect(events).toEqual([expect.objectContaining({ type: 'session_revoked', id: 'r1', data: { session_id: 's1', user_id: 'u1', reason: 'refresh_token_reused' } })]);
  });

  it('refuses a refresh of a revoked, unknown or expired session', () => {
    const revoked: IdentityEvent = { id: 'r0', type: 'session_revoked', occurredAt: now.toISOString(), data: { session_id: 's1', user_id: 'u1', reason: 'logout' } };
    expect(() => decideSession(refreshWith('t1'), given(started, revoked))).toThrow(UnauthenticatedError);
    expect(() => decideSession(refreshWith('t1'), given())).toThrow(UnauthenticatedError);
    expect(() => decideSession(refreshWith('t1', later), given(started))).toThrow(UnauthenticatedError);
  });

  it('revokes once: a second logout appends nothing', () => {
    const revoke: SessionCommand = { kind: 'revoke', sessionId: 's1', reason: 'logout', eventId: 'r2', now };
    const [event] = decideSession(revoke, given(started));
    expect(event!.type).toBe('session_revoked');
    expect(decideSession(revoke, given(started, event!))).toEqual([]);
  });
});
