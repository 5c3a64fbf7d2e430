import { ConflictError, UnauthenticatedError } from '@cadre/proto';
import { event, type IdentityEvent } from '../events';
import type { SessionState } from './session';

export type SessionCommand =
  | {
      readonly kind: 'start';
      readonly sessionId: string;
      readonly userId: string;
      readonly method: 'password' | 'two_factor' | 'recovery_code' | 'setup';
      /** Id of the session_started event, which the refresh token's hash row is keyed by. */
      readonly eventId: string;
      readonly expiresAt: Date;
      readonly now: Date;
    }
  | {
      readonly kind: 'refresh';
      readonly sessionId: string;
      /** The event that issued the refresh token presented. */
      readonly presentedTokenEventId: string;
      readonly eventId: string;
      readonly revokeEventId: string;
      readonly expiresAt: Date;
      readonly now: Date;
      /** How long after a rotation the token it replaced is still answered (with the rotation's pair). */
      readonly graceMs: number;
    }
  | { readonly kind: 'revoke'; readonly sessionId: string; readonly reason: string; readonly eventId: string; readonly now: Date };

/**
 * A refresh with the current token rotates it; the token just replaced, within the grace
 * window, changes nothing (a parallel refresh); an older token of the chain means the token was
 * stolen or replayed, so the whole session is revoked (the caller then answers 401).
 */
export function decideSession(command: SessionCommand, state: SessionState): readonly IdentityEvent[] {
  switch (command.kind) {
    case 'start':
      if (state.status !== 'none') throw new ConflictError('session exists');
      return [event('session_started', command.eventId, command.now, {
        session_id: command.sessionId, user_id: command.userId, method: command.method, expires_at: command.expiresAt.toISOString(),
      })];
    case 'refresh': {
      if (state.status !== 'active') throw new UnauthenticatedError('session ended');
      // Two tabs refreshing at once: the one that lost the race presented the token just rotated.
      // Nothing is appended; the caller hands it the pair the rotation made.
      if (state.previous?.tokenEventId === command.presentedTokenEventId
        && command.now.getTime() - state.previous.rotatedAt.getTime() <= command.graceMs) return [];
      if (state.tokenEventId !== command.presentedTokenEventId) {
        return [event('session_revoked', command.revokeEventId, command.now, {
          session_id: command.sessionId, user_id: state.userId, reason: 'refresh_token_reused',
        })];
      }
      if (state.expiresAt.getTime() <= command.now.getTime()) throw new UnauthenticatedError('refresh token expired');
      return [event('session_refreshed', command.eventId, command.now, {
        session_id: command.sessionId, user_id: state.userId, expires_at: command.expiresAt.toISOString(),
      })];
    }
    case 'revoke':
      if (state.status !== 'active') return [];
      return [event('session_revoked', command.eventId, command.now, {
        session_id: command.sessionId, user_id: state.userId, reason: command.reason,
      })];
  }
}
