export { createSecretBox, type SecretBox } from '@cadre/runtime';

/** `sk-…abcd`: enough to recognise a key, never enough to use it. */
export function maskSecret(secret: string): string {
  if (secret.length <= 12) return '****';
  return `${secret.slice(0, 3)}…${secret.slice(-4)}`;
}
