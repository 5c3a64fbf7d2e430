import { hash, verify } from '@node-rs/argon2';

// argon2id (the library's default algorithm) with OWASP's minimum: 19 MiB, 2 passes, 1 lane.
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** An argon2id PHC string of the password. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** True when the password matches the PHC hash; a malformed hash is a mismatch, not an error. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * Checks passwords of accounts that may not exist: an unknown e-mail costs the same argon2
 * verification as a wrong password, so timing does not tell which e-mails have accounts.
 */
export interface PasswordChecker {
  check(passwordHash: string | undefined, password: string): Promise<boolean>;
}

export async function createPasswordChecker(): Promise<PasswordChecker> {
  const dummy = await hashPassword(`dummy-${Math.random()}`);
  return {
    async check(passwordHash, password) {
      const ok = await verifyPassword(passwordHash ?? dummy, password);
      return passwordHash !== undefined && ok;
    },
  };
}
