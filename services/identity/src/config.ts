import { z } from 'zod';
import { env, loadConfig } from '@cadre/config';

/** Environment variables of the identity service. */
export const identityConfigShape = {
  AUTH_ENABLED: env.boolean(true).describe('When false every credential-less call acts as an admin (development only)'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional()
    .describe('HS256 key of access tokens; when unset a random one is generated once and kept in the identity schema'),
  ACCESS_TOKEN_TTL_SECONDS: env.int(900, 30),
  REFRESH_TOKEN_TTL_SECONDS: env.int(7 * 24 * 3600, 300),
  PENDING_2FA_TTL_SECONDS: env.int(300, 30),
  RECENT_SIGN_IN_SECONDS: env.int(300, 0).describe('Creating an API key or turning on 2FA needs the password, unless the session signed in this recently'),
  API_KEY_DEFAULT_DAYS: env.int(90, 1).describe('Lifetime of an API key created without an expiry'),
  API_KEY_MAX_DAYS: env.int(365, 1).describe('Longest lifetime an API key may be given'),
  REFRESH_GRACE_SECONDS: env.int(30, 0).describe('After a refresh, how long the token it replaced still returns the same new pair (parallel refreshes from two tabs); 0 turns it off'),
  ENGINE_INTERNAL_TOKEN: z.string().min(16, 'must be at least 16 characters').optional()
    .describe('Service credential of the agent engine (acts as an admin)'),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: env.int(5, 1).describe('Failed logins (or 2FA codes) of one account from one client address per window'),
  LOGIN_MAX_FAILURES_PER_ADDRESS: env.int(20, 1).describe('Failed logins from one client address, whatever the accounts, per window'),
  LOGIN_MAX_CODES_PER_PENDING_TOKEN: env.int(5, 1).describe('2FA codes tried against one pending login token'),
  LOGIN_THROTTLE_WINDOW_SECONDS: env.int(900, 1),
  SETUP_TOKEN: z.string().min(16, 'must be at least 16 characters').optional()
    .describe('When set, the first-admin setup needs it (setup_token): only who can read the console or the config can claim the install'),
  CADRE_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional()
    .describe('Key that seals TOTP secrets at rest (and provider keys in the agents service); when unset one is generated once and kept in the database'),
  TOTP_ISSUER: z.string().min(1).max(100).default('Cadre'),
  IDENTITY_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,47}$/).default('identity').describe('Postgres schema of the service'),
};

export type IdentityConfig = Readonly<z.infer<z.ZodObject<typeof identityConfigShape>>>;

/** Parses the identity variables once; a bad one fails fast, named. */
export function loadIdentityConfig(environment: Readonly<Record<string, string | undefined>> = process.env): IdentityConfig {
  return loadConfig(identityConfigShape, environment);
}
