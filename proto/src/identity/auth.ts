import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';
import {
  DisplayName, Email, Empty, NewPassword, PasswordInput, PendingTwoFactor, RecoveryCode, TokenPair, TotpCode, UserView,
} from './schemas';

/** Creates the first admin while no user exists; a `conflict` error afterwards. */
export const setup = defineCommand({
  domain: 'identity',
  name: 'setup',
  description: 'Create the first admin account and sign it in (only while no user exists)',
  request: z.object({
    email: Email, password: NewPassword, name: DisplayName.optional(),
    setup_token: z.string().max(200).optional()
      .describe('The one-time setup token Cadre printed when it started, when it asks for one (SETUP_TOKEN)'),
  }),
  reply: TokenPair,
});

/** Email + password login: tokens, or a pending token when the account has 2FA. */
export const login = defineCommand({
  domain: 'identity',
  name: 'login',
  description: 'Sign in with e-mail and password',
  request: z.object({ email: Email, password: PasswordInput }),
  reply: z.union([TokenPair, PendingTwoFactor]),
});

/** Second step of a 2FA login: the pending token with a TOTP code or a recovery code. */
export const loginTwoFactor = defineCommand({
  domain: 'identity',
  name: 'login_2fa',
  description: 'Finish a 2FA login with a TOTP code or a one-time recovery code',
  request: z.object({
    pending_token: z.string().min(1).max(4096).describe('The pending token login returned'),
    code: TotpCode.optional(),
    recovery_code: RecoveryCode.optional(),
  }).refine((r) => (r.code === undefined) !== (r.recovery_code === undefined), {
    message: 'give either code or recovery_code', path: ['code'],
  }),
  reply: TokenPair,
});

/** Rotates a refresh token; reusing an already rotated one revokes its whole session. */
export const refresh = defineCommand({
  domain: 'identity',
  name: 'refresh',
  description: 'Exchange a refresh token for a new token pair',
  request: z.object({ refresh_token: z.string().min(1).max(512).describe('The latest refresh token of the session') }),
  reply: TokenPair,
});

/** Revokes the caller's session (its refresh token and access tokens). */
export const logout = defineCommand({
  domain: 'identity',
  name: 'logout',
  description: 'End the session of the calling access token',
  request: z.object({}),
  reply: Empty,
});

/** Ends every session and revokes every API key of the calling user. */
export const logoutEverywhere = defineCommand({
  domain: 'identity',
  name: 'logout_everywhere',
  description: 'Sign out everywhere: end all your sessions and revoke all your API keys',
  request: z.object({}),
  reply: z.object({ sessions_revoked: z.number().int(), api_keys_revoked: z.number().int() }),
});

/** The calling user. */
export const me = defineQuery({
  domain: 'identity',
  name: 'me',
  description: 'The user behind the calling credential',
  request: z.object({}),
  reply: UserView,
});

/** Whether auth is on and whether the first admin still has to be created. */
export const authStatus = defineQuery({
  domain: 'identity',
  name: 'auth_status',
  description: 'Whether authentication is enabled and whether setup is still needed',
  request: z.object({}),
  reply: z.object({ auth_enabled: z.boolean(), setup_required: z.boolean() }),
});
