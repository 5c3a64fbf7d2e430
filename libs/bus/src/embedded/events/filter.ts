/** A subject filter compiled for SQL over `subject` (see compileFilter). */
export interface CompiledFilter {
  readonly exact: string | null;
  readonly like: string | null;
  readonly regex: string | null;
}

/**
 * The one translation of subject filters to SQL (the claim function takes its values): the
 * subject itself when the filter has no wildcards; else a LIKE on the literal prefix (a cheap
 * first test) and an anchored regular expression for the wildcards (`*` is one token, `[^.]+`;
 * `>` one or more, `.+`). Nothing for no filter.
 */
export function compileFilter(filter: string | undefined | null): CompiledFilter {
  if (!filter || filter === '>') return { exact: null, like: null, regex: null };
  const tokens = filter.split('.');
  if (!tokens.some((t) => t === '*' || t === '>')) return { exact: filter, like: null, regex: null };
  const literal: string[] = [];
  for (const token of tokens) {
    if (token === '*' || token === '>') break;
    literal.push(token);
  }
  const prefix = literal.length > 0 ? `${literal.join('.')}.` : '';
  return {
    exact: null,
    like: `${escapeLike(prefix)}%`,
    regex: `^${tokens.map((t) => (t === '*' ? '[^.]+' : t === '>' ? '.+' : escapeRegex(t))).join('\\.')}$`,
  };
}

/** A compiled filter as a condition: its text and the values it binds, numbered from `first`. */
export function filterCondition(filter: string | undefined | null, first: number): { readonly sql: string; readonly values: string[] } {
  const { exact, like, regex } = compileFilter(filter);
  if (exact !== null) return { sql: `subject = $${first}`, values: [exact] };
  if (like !== null && regex !== null) return { sql: `subject LIKE $${first} AND subject ~ $${first + 1}`, values: [like, regex] };
  return { sql: 'true', values: [] };
}

function escapeRegex(token: string): string {
  return token.replace(/[^A-Za-z0-9_-]/g, (c) => `\\${c}`);
}

function escapeLike(text: string): string {
  // `_` is a legal subject character and a LIKE wildcard.
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
