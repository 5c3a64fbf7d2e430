import type { IdentityContext } from '../context';
import { randomAlphanumeric, sha256Hex } from '../crypto/secrets';
import { matchTotp } from '../crypto/totp';

const RECOVERY_CODES = 10;

/** True when `code` is valid now for the secret and its time step was not used before (atomically claimed). */
export async function spendTotpCode(ctx: IdentityContext, userId: string, secret: string, code: string): Promise<boolean> {
  const step = matchTotp(secret, code, ctx.clock());
  return step !== undefined && ctx.credentials.claimTotpStep(userId, step);
}

/** Recovery codes compare without dashes, spaces or case. */
export function recoveryCodeHash(code: string): string {
  return sha256Hex(code.replace(/[^a-z0-9]/gi, '').toLowerCase());
}

/** Ten fresh recovery codes (80 random bits each, shown as xxxx-xxxx-xxxx-xxxx). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODES }, () => randomAlphanumeric(16).match(/.{4}/g)!.join('-'));
}
