import type { ApiKeyView, UserView } from '@cadre/proto';
import type { IdentityView, ApiKeyRecord, UserRecord } from '../view/view';

/** A user as replies show it (no hash, no secret). */
export function presentUser(view: IdentityView, user: UserRecord): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    two_factor_enabled: view.twoFactorOf(user.id) !== undefined,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}

export function presentApiKey(key: ApiKeyRecord, lastUsed: Date | undefined): ApiKeyView {
  return {
    id: key.id, name: key.name, prefix: key.prefix, created_at: key.createdAt, expires_at: key.expiresAt,
    last_used_at: lastUsed ? lastUsed.toISOString() : null,
  };
}

/** E-mails are compared case-insensitively, so they are kept lower-case. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
