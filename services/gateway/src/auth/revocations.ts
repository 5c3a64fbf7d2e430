import type { Principal } from '@cadre/proto';
import type { FeedMessage } from '../sse/message';
import type { Revocation } from './authenticator';

const stringField = (data: Readonly<Record<string, unknown>> | undefined, key: string): string | undefined => {
  const value = data?.[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
};

/** What an identity event revokes, if anything: one API key, one session (logout, refresh reuse), or a whole user. */
export function revocationOf(message: FeedMessage): Revocation | undefined {
  if (message.domain !== 'identity') return undefined;
  const data = (): Readonly<Record<string, unknown>> | undefined => message.data();
  let revocation: Revocation | undefined;
  switch (message.type) {
    case 'api_key_revoked':
      revocation = { credentialId: stringField(data(), 'key_id') };
      break;
    case 'session_revoked':
      revocation = { credentialId: stringField(data(), 'session_id') };
      break;
    case 'user_deleted':
      revocation = { userId: stringField(data(), 'user_id') };
      break;
    default:
      return undefined;
  }
  return revocation.credentialId === undefined && revocation.userId === undefined ? undefined : revocation;
}

export function revokes(revocation: Revocation, principal: Principal): boolean {
  return (revocation.credentialId !== undefined && principal.credential_id === revocation.credentialId)
    || (revocation.userId !== undefined && principal.user_id === revocation.userId);
}
