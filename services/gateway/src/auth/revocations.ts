import type { Logger } from '@cadre/logging';
import type { Principal } from '@cadre/proto';
import type { SseHub } from '../sse/hub';
import type { FeedMessage } from '../sse/message';
import type { Authenticator, Revocation } from './authenticator';

/** An identity event that changes what a credential may do. */
export type CredentialChange =
  | { readonly kind: 'revoked'; readonly revocation: Revocation }
  | { readonly kind: 'role_changed'; readonly userId: string; readonly role: string };

const stringField = (data: Readonly<Record<string, unknown>> | undefined, key: string): string | undefined => {
  const value = data?.[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
};

/** Reads a change from an identity event: a key or session revoked (logout, refresh reuse), a user deleted, a role changed. */
export function credentialChangeOf(message: FeedMessage): CredentialChange | undefined {
  if (message.domain !== 'identity') return undefined;
  const revoked = (revocation: Revocation): CredentialChange | undefined =>
    revocation.credentialId === undefined && revocation.userId === undefined ? undefined : { kind: 'revoked', revocation };
  switch (message.type) {
    case 'api_key_revoked':
      return revoked({ credentialId: stringField(message.data(), 'key_id') });
    case 'session_revoked':
      return revoked({ credentialId: stringField(message.data(), 'session_id') });
    case 'user_deleted':
      return revoked({ userId: stringField(message.data(), 'user_id') });
    case 'user_updated': {
      const userId = stringField(message.data(), 'user_id');
      const role = stringField(message.data(), 'role');
      return userId !== undefined && role !== undefined ? { kind: 'role_changed', userId, role } : undefined;
    }
    default:
      return undefined;
  }
}

export function revokes(revocation: Revocation, principal: Principal): boolean {
  return (revocation.credentialId !== undefined && principal.credential_id === revocation.credentialId)
    || (revocation.userId !== undefined && principal.user_id === revocation.userId);
}

/**
 * Acts on a change as soon as the live feed brings it: cached principals go, and streams
 * opened with a revoked credential — or with a role the user no longer has — close.
 */
export function applyCredentialChange(message: FeedMessage, authenticator: Authenticator, hub: SseHub, logger: Logger): void {
  const change = credentialChangeOf(message);
  if (!change) return;
  let closed: number;
  if (change.kind === 'revoked') {
    authenticator.revoke(change.revocation);
    closed = hub.closeWhere((principal) => revokes(change.revocation, principal), 'revoked');
  } else {
    authenticator.forgetUser(change.userId);
    closed = hub.closeWhere((principal) => principal.user_id === change.userId && principal.role !== change.role, 'revoked');
  }
  if (closed > 0) logger.info({ type: message.type, seq: message.seq, closed }, 'closed streams of a changed credential');
}
