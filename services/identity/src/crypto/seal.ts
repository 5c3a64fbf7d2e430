import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

// AES-256-GCM under a key derived from a secret only the client holds (the refresh token it
// presents): what is stored can be opened by that client and by no one who reads the table.
const keyOf = (secret: string): Buffer => createHash('sha256').update('cadre refresh grace\0').update(secret).digest();

/** Seals `plaintext` with a key derived from `secret`: base64 of iv, tag and ciphertext. */
export function sealWith(secret: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

/** Opens what `sealWith` sealed with the same secret; undefined when the secret or the text is wrong. */
export function openWith(secret: string, sealed: string): string | undefined {
  try {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
