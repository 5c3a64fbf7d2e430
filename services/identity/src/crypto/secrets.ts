import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `bytes` random bytes as base64url (no padding): tokens, key secrets, generated keys. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** Random lower-case letters and digits (unambiguous in a prefix shown to users). */
export function randomAlphanumeric(length: number): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(length);
  // 32 symbols: a byte modulo 32 is uniform.
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/**
 * SHA-256 hex of a high-entropy token (API keys, refresh tokens, recovery codes). A slow hash
 * adds nothing when the input has 80+ random bits, and lookups by hash stay one index probe.
 */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Compares two secrets in time independent of where they differ or of their lengths: both are
 * hashed to fixed-size digests first, so timingSafeEqual never sees unequal lengths.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}
