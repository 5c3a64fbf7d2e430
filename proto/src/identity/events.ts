import { z } from 'zod';
import { defineEvent } from '../define-event';

// Events of users and credentials. They go out on the live stream, so they never carry a
// secret: password hashes, TOTP secrets, key hashes and refresh-token hashes stay in the
// identity service's own tables, keyed by the id of the event that introduced them.
// The gateway closes SSE streams on user_deleted, api_key_revoked and session_revoked.
const UserRef = { user_id: z.string().min(1).describe('User id') };
const Timestamp = z.iso.datetime({ offset: true });
const Role = z.enum(['admin', 'member']);

export const userCreated = defineEvent({
  type: 'user_created', domain: 'identity', version: 1, description: 'A user account was created',
  data: z.object({ ...UserRef, email: z.string(), name: z.string().nullable(), role: Role }),
});

export const userUpdated = defineEvent({
  type: 'user_updated', domain: 'identity', version: 1, description: 'A user\'s e-mail, name, role or password changed (only changed fields are present)',
  data: z.object({
    ...UserRef,
    email: z.string().optional(),
    name: z.string().nullable().optional(),
    role: Role.optional(),
    password_changed: z.boolean().optional().describe('A new password was set (the hash is not in the event)'),
  }),
});

export const userDeleted = defineEvent({
  type: 'user_deleted', domain: 'identity', version: 1, description: 'A user account was deleted; its credentials stop working',
  data: z.object({ ...UserRef }),
});

export const setupCompleted = defineEvent({
  type: 'setup_completed', domain: 'identity', version: 1, description: 'The first admin was created; setup is closed',
  data: z.object({ ...UserRef }),
});

export const sessionStarted = defineEvent({
  type: 'session_started', domain: 'identity', version: 1, description: 'A user signed in',
  data: z.object({
    session_id: z.string().min(1), ...UserRef,
    method: z.string().describe('password, two_factor, recovery_code or setup'),
    expires_at: Timestamp.describe('When the refresh token stops working'),
  }),
});

export const sessionRefreshed = defineEvent({
  type: 'session_refreshed', domain: 'identity', version: 1, description: 'A session\'s refresh token was rotated',
  data: z.object({ session_id: z.string().min(1), ...UserRef, expires_at: Timestamp }),
});

export const sessionRevoked = defineEvent({
  type: 'session_revoked', domain: 'identity', version: 1, description: 'A session ended: its tokens stop working',
  data: z.object({
    session_id: z.string().min(1), ...UserRef,
    reason: z.string().describe('logout, refresh_token_reused, password_changed, signed_out_everywhere or two_factor_enabled'),
  }),
});

export const apiKeyCreated = defineEvent({
  type: 'api_key_created', domain: 'identity', version: 1, description: 'An API key was created (the key itself is not in the event)',
  data: z.object({
    key_id: z.string().min(1), ...UserRef, name: z.string(), prefix: z.string(),
    expires_at: Timestamp.nullable(),
  }),
});

export const apiKeyRevoked = defineEvent({
  type: 'api_key_revoked', domain: 'identity', version: 1, description: 'An API key was revoked',
  data: z.object({
    key_id: z.string().min(1), ...UserRef,
    // Added (optional, so version 1 data stays valid): why, when not revoked by hand.
    reason: z.enum(['revoked', 'password_changed', 'signed_out_everywhere']).optional(),
  }),
});

export const twoFactorEnabled = defineEvent({
  type: 'two_factor_enabled', domain: 'identity', version: 1, description: 'A user turned on TOTP 2FA',
  data: z.object({ ...UserRef }),
});

export const twoFactorDisabled = defineEvent({
  type: 'two_factor_disabled', domain: 'identity', version: 1, description: 'A user turned off TOTP 2FA',
  data: z.object({ ...UserRef }),
});

export const identityEvents = [
  userCreated, userUpdated, userDeleted, setupCompleted,
  sessionStarted, sessionRefreshed, sessionRevoked,
  apiKeyCreated, apiKeyRevoked, twoFactorEnabled, twoFactorDisabled,
] as const;
