/** Longest reason the `job_dead_lettered` event and a listing carry. */
export const MAX_REASON_LENGTH = 2_000;

const MASK = '[job body]';
// Shorter quotes of the body are left alone: a few characters say nothing and match by chance.
const MIN_MASKED = 16;
// An id, a name or a model (`run-…`, a UUID, `openai/gpt-4o`) is what a reason needs to be read,
// and says nothing of the job's content; longer such tokens may be keys, so they are masked.
const IDENTIFIER = /^[\w.:@/+-]{1,40}$/;
const MAX_VALUES = 1_000;

/**
 * The reason as the event stream and a listing show it: wherever it quotes the job body, the
 * quote is masked — the whole body (as sent, compact JSON or base64) and, for a JSON body, each
 * of its string values of 16 characters or more that is not a plain identifier (prompts, inputs,
 * feedback) — and then it is cut to MAX_REASON_LENGTH characters. The full reason stays in the
 * letter, which only admins read.
 */
export function publicReason(reason: string, body: Uint8Array): string {
  let text = reason;
  for (const quote of quotesOf(body)) {
    if (text.includes(quote)) text = text.split(quote).join(MASK);
  }
  return bounded(text);
}

function bounded(text: string): string {
  if (text.length <= MAX_REASON_LENGTH) return text;
  let cut = MAX_REASON_LENGTH - 1;
  // Never leave half of a surrogate pair at the end.
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${text.slice(0, cut)}…`;
}

/** The forms of the body a reason may quote, longest first (a longer quote is masked before its parts). */
function quotesOf(body: Uint8Array): string[] {
  const raw = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const text = raw.toString('utf8');
  const quotes = new Set<string>([text, text.trim(), raw.toString('base64')]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed !== undefined) {
    quotes.add(JSON.stringify(parsed));
    for (const value of stringValues(parsed)) {
      if (!IDENTIFIER.test(value)) quotes.add(value);
    }
  }
  return [...quotes].filter((quote) => quote.length >= MIN_MASKED).sort((a, b) => b.length - a.length);
}

function stringValues(value: unknown): string[] {
  const found: string[] = [];
  const stack: unknown[] = [value];
  while (stack.length > 0 && found.length < MAX_VALUES) {
    const next = stack.pop();
    if (typeof next === 'string') found.push(next);
    else if (next !== null && typeof next === 'object') for (const item of Object.values(next)) stack.push(item);
  }
  return found;
}
