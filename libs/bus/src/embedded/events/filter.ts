/**
 * A subject filter as SQL over `subject`: a LIKE on the literal prefix (so an index can help)
 * plus an anchored regular expression for the wildcards. `*` is one token (`[^.]+`), `>` one
 * or more (`.+`). Returns the condition text and the values it binds, numbered from `first`.
 */
export function filterCondition(filter: string | undefined | null, first: number): { readonly sql: string; readonly values: string[] } {
  if (!filter || filter === '>') return { sql: 'true', values: [] };
  const tokens = filter.split('.');
  if (!tokens.some((t) => t === '*' || t === '>')) return { sql: `subject = $${first}`, values: [filter] };
  const literal: string[] = [];
  for (const token of tokens) {
    if (token === '*' || token === '>') break;
    literal.push(token);
  }
  const prefix = literal.length > 0 ? `${literal.join('.')}.` : '';
  const regex = `^${tokens.map((t) => (t === '*' ? '[^.]+' : t === '>' ? '.+' : escapeRegex(t))).join('\\.')}$`;
  return {
    sql: `subject LIKE $${first} AND subject ~ $${first + 1}`,
    values: [`${escapeLike(prefix)}%`, regex],
  };
}

function escapeRegex(token: string): string {
  return token.replace(/[^A-Za-z0-9_-]/g, (c) => `\\${c}`);
}

function escapeLike(text: string): string {
  // `_` is a legal subject character and a LIKE wildcard.
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
