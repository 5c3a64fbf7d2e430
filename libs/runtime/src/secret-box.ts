import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Encrypts and decrypts secrets at rest (AES-256-GCM, a fresh IV per value). */
export interface SecretBox {
  seal(plaintext: string): string;
  /** Throws when the value was sealed with another key or was tampered with. */
  open(sealed: string): string;
}

const VERSION = 'v1';

/** A box keyed by any secret text of 32+ characters (hashed to 256 bits) or 32 raw bytes. */
export function createSecretBox(key: string | Uint8Array): SecretBox {
  const k = typeof key === 'string' ? createHash('sha256').update(key, 'utf8').digest() : Buffer.from(key);
  if (k.length !== 32) throw new Error('a secret box needs a 256-bit key');
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', k, iv);
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
    },
    open(sealed) {
      const [version, iv, tag, data] = sealed.split(':');
      if (version !== VERSION || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
      const decipher = createDecipheriv('aes-256-gcm', k, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
    },
  };
}
