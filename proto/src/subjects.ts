import { ValidationError } from './errors';

/**
 * NATS subjects: dot-separated tokens of printable ASCII without spaces; `*` matches one token
 * and `>` (last token only) matches one or more.
 */
const TOKEN = /^[A-Za-z0-9_\-:$@=+~]+$/;

/** Throws a ValidationError unless `subject` is a concrete subject (no wildcards). */
export function assertSubject(subject: string): void {
  if (!isValidSubject(subject, false)) throw new ValidationError(`invalid subject "${subject}"`, { subject });
}

/** Throws a ValidationError unless `filter` is a subject or a wildcard filter. */
export function assertSubjectFilter(filter: string): void {
  if (!isValidSubject(filter, true)) throw new ValidationError(`invalid subject filter "${filter}"`, { filter });
}

export function isValidSubject(subject: string, allowWildcards: boolean): boolean {
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 512) return false;
  const tokens = subject.split('.');
  return tokens.every((token, i) => {
    if (allowWildcards && token === '*') return true;
    if (allowWildcards && token === '>') return i === tokens.length - 1;
    return TOKEN.test(token);
  });
}

/** True when a concrete subject matches a filter with `*` / `>` wildcards. */
export function subjectMatches(filter: string, subject: string): boolean {
  return matchTokens(filter.split('.'), subject);
}

/**
 * `subjectMatches` for one filter, read once: for a filter tested against many subjects (the
 * endpoints, subscribers and loops of the embedded bus, at every request or publish). A filter
 * without wildcards compares the subject; one whose only wildcard is a final `>` compares its
 * prefix.
 */
export function subjectMatcher(filter: string): (subject: string) => boolean {
  const tokens = filter.split('.');
  const last = tokens.length - 1;
  const wildcards = tokens.filter((token) => token === '*' || token === '>').length;
  if (wildcards === 0) return (subject) => subject === filter;
  if (wildcards === 1 && tokens[last] === '>') {
    const prefix = last === 0 ? '' : `${tokens.slice(0, last).join('.')}.`;
    // `>` takes one token or more: something must follow the prefix (a subject has no empty token).
    return (subject) => subject.length > prefix.length && subject.startsWith(prefix);
  }
  return (subject) => matchTokens(tokens, subject);
}

function matchTokens(f: readonly string[], subject: string): boolean {
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    const token = f[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return f.length === s.length;
}

/** A subject token made from an id: characters a token may not hold become `_`. */
export function subjectToken(id: string): string {
  const token = id.replace(/[^A-Za-z0-9_\-:$@=+~]/g, '_');
  return token.length > 0 ? token : '_';
}

/** Durable consumer, service and queue names: letters, digits, `-`, `_`. */
export function assertName(kind: string, name: string): void {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new ValidationError(`invalid ${kind} name "${name}"`, { [kind]: name });
  }
}
