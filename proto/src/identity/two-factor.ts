import { z } from 'zod';
import { defineCommand } from '../messages';
import { PasswordInput, TotpCode } from './schemas';

/** Starts 2FA setup: a new TOTP secret, pending until a code from it is verified. */
export const twoFactorEnable = defineCommand({
  domain: 'identity',
  name: 'two_factor_enable',
  description: 'Start turning on 2FA: returns a TOTP secret (shown this once) to add to an authenticator app',
  request: z.object({
    password: z.string().max(1024).optional()
      .describe('Your password: needed unless you signed in (with your password) in the last few minutes'),
  }),
  reply: z.object({
    secret: z.string().describe('Base32 TOTP secret (RFC 6238, SHA-1, 6 digits, 30 s)'),
    otpauth_uri: z.string().describe('otpauth:// URI for a QR code'),
  }),
});

/** Turns 2FA on with a code from the pending secret; returns one-time recovery codes. */
export const twoFactorVerify = defineCommand({
  domain: 'identity',
  name: 'two_factor_verify',
  description: 'Turn on 2FA by proving a code of the pending secret; returns recovery codes (shown this once)',
  request: z.object({ code: TotpCode }),
  reply: z.object({
    enabled: z.literal(true),
    recovery_codes: z.array(z.string()).describe('One-time codes that stand in for a TOTP code; store them safely'),
  }),
});

/** Turns 2FA off; needs a current code or the password. */
export const twoFactorDisable = defineCommand({
  domain: 'identity',
  name: 'two_factor_disable',
  description: 'Turn off 2FA with a current code or the account password',
  request: z.object({ code: TotpCode.optional(), password: PasswordInput.optional() })
    .refine((r) => r.code !== undefined || r.password !== undefined, { message: 'give code or password', path: ['code'] }),
  reply: z.object({ enabled: z.literal(false) }),
});
