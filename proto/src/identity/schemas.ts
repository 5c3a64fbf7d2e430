import { z } from 'zod';

// Shapes shared by the identity commands, queries and routes. Field names follow seed 002.

/** Role of a user: admins manage users; members use the platform. */
export const Role = z.enum(['admin', 'member']).describe('admin or member');
export type Role = z.infer<typeof Role>;

/** An id minted by Cadre (UUIDv7); other characters never name anything, so they are refused early. */
export const EntityId = z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, 'expected an id').describe('Id (UUIDv7)');

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Free text that is stored (names): no control characters or broken UTF-16, which Postgres would refuse. */
export function storedText(max: number) {
  return z.string().min(1).max(max)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters')
    .refine((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode');
}

/** Login name; compared case-insensitively. */
export const Email = z.email().max(254).describe('E-mail address, the login name (case-insensitive)');

/** A new password: at least 8 characters; bounded so hashing stays cheap. */
export const NewPassword = z.string().min(8, 'must be at least 8 characters').max(1024).describe('Password (8 to 1024 characters)');

/** A password offered for checking (no minimum: a wrong one is just wrong). */
export const PasswordInput = z.string().min(1).max(1024).describe('Password');

export const DisplayName = storedText(200).describe('Display name');

/** A six-digit TOTP code from the authenticator app. */
export const TotpCode = z.string().regex(/^\d{6}$/, 'expected 6 digits').describe('Current 6-digit code of the authenticator app');

/** A one-time recovery code, as shown when 2FA was turned on (dashes and case do not matter). */
export const RecoveryCode = z.string().min(8).max(64).describe('A one-time recovery code');

export const Timestamp = z.iso.datetime({ offset: true }).describe('ISO 8601 date-time');

/** A user as every reply shows it: never a password hash or TOTP secret. */
export const UserView = z.object({
  id: EntityId,
  email: z.string(),
  name: z.string().nullable(),
  role: Role,
  two_factor_enabled: z.boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
}).describe('A user account');
export type UserView = z.infer<typeof UserView>;

/** What setup, login and refresh return: a short-lived access JWT and a rotating refresh token. */
export const TokenPair = z.object({
  access_token: z.string().describe('JWT for the Authorization: Bearer header'),
  refresh_token: z.string().describe('Opaque token for /v1/auth/refresh; each use returns a new one'),
  token_type: z.literal('bearer'),
  expires_in: z.number().int().positive().describe('Seconds until the access token expires'),
  user: UserView,
}).describe('Tokens of a new or refreshed session');
export type TokenPair = z.infer<typeof TokenPair>;

/** Login of an account with 2FA: the password was right; a code is needed next. */
export const PendingTwoFactor = z.object({
  requires_2fa: z.literal(true),
  pending_token: z.string().describe('Short-lived token for /v1/auth/login/2fa'),
  expires_in: z.number().int().positive().describe('Seconds until the pending token expires'),
}).describe('The password was right; send a 2FA code with the pending token');
export type PendingTwoFactor = z.infer<typeof PendingTwoFactor>;

/** Reply of commands whose HTTP answer is 204 No Content. */
export const Empty = z.object({}).describe('No content');
export type Empty = z.infer<typeof Empty>;
