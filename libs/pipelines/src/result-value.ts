/*
 * Models decorate their verdicts (`**Approved**`, `"changes requested".`), so a result value and
 * an `onResult` key are compared after the same normalisation: surrounding punctuation and
 * space dropped, inner runs of spaces or dashes turned into `_`, upper-cased.
 */

const WORD_CHAR = /[\p{L}\p{N}]/u;

/** The `onResult` key that matches any value no other key matches. */
export const ANY_RESULT = '*';

/** A value (or key) as routing compares it. */
export function normalizeResultValue(value: string): string {
  // Index scans instead of an anchored regex, which backtracks quadratically on long values.
  let start = 0;
  let end = value.length;
  while (start < end && !WORD_CHAR.test(value.charAt(start))) start += 1;
  while (end > start && !WORD_CHAR.test(value.charAt(end - 1))) end -= 1;
  return value.slice(start, end).replace(/[\s-]+/g, '_').toUpperCase();
}

/** The text a result value is routed on; only strings, numbers and booleans route. */
export function resultValueText(value: unknown): string | undefined {
  if (typeof value === 'string') return normalizeResultValue(value);
  if (typeof value === 'number' || typeof value === 'boolean') return normalizeResultValue(String(value));
  return undefined;
}
