import type { IdentityEvent } from '../events';

/** A session: the chain of refresh tokens of one sign-in. */
export type SessionState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active';
      readonly userId: string;
      /** The event that issued the one refresh token that may be used now. */
      readonly tokenEventId: string;
      readonly expiresAt: Date;
      /** The token the last rotation replaced, and when: a parallel refresh of it is let through briefly. */
      readonly previous?: { readonly tokenEventId: string; readonly rotatedAt: Date };
    }
  | { readonly status: 'revoked'; readonly userId: string; readonly reason: string };

export const initialSession: SessionState = { status: 'none' };

export function evolveSession(state: SessionState, event: IdentityEvent): SessionState {
  switch (event.type) {
    case 'session_started':
    case 'session_refreshed':
      // A refresh of a revoked session never gets appended; keep the revocation if one slipped in.
      if (state.status === 'revoked') return state;
      return {
        status: 'active', userId: event.data.user_id, tokenEventId: event.id, expiresAt: new Date(event.data.expires_at),
        ...(event.type === 'session_refreshed' && state.status === 'active'
          ? { previous: { tokenEventId: state.tokenEventId, rotatedAt: new Date(event.occurredAt) } } : {}),
      };
    case 'session_revoked':
      return { status: 'revoked', userId: event.data.user_id, reason: event.data.reason };
    default:
      return state;
  }
}
