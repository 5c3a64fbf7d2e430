import type { Pool } from 'pg';

/** Which rows a search may return. */
export interface SearchScope {
  /** Only this owner's rows (undefined: everyone's, for admins). */
  readonly owner?: string;
  /** Only these vaults (undefined: all). */
  readonly vaults?: readonly string[];
  readonly type?: string;
}

export interface TextQuery {
  /** SQL of the tsquery, on parameters numbered from `$1`: the query as typed, or'ed with its spelling-corrected variants. */
  readonly sql: string;
  readonly params: readonly string[];
  /** Query words no memory has, and the known words searched instead. */
  readonly corrections: Record<string, string[]>;
  /**
   * The same with its words or'ed (exclusions kept): what a long question or a step's input is
   * searched with when too few memories hold every word.
   */
  readonly relaxed: { readonly sql: string; readonly params: readonly string[] };
}

/**
 * A web-search query with its words or'ed, and its exclusions apart (a tsquery's `&` binds
 * tighter than `|`, so they are applied to the whole): `deploy on fridays -staging` →
 * `{ wanted: 'deploy or on or fridays', excluded: 'staging' }`.
 */
export function relax(query: string): { readonly wanted: string; readonly excluded: string } {
  const excluded: string[] = [];
  const wanted: string[] = [];
  for (const token of query.replace(/"/g, ' ').split(/\s+/)) {
    if (token === '' || OPERATORS.has(token.toLowerCase())) continue;
    if (token.startsWith('-')) {
      if (token.length > 1) excluded.push(token.slice(1));
    } else {
      wanted.push(token);
    }
  }
  return { wanted: wanted.join(' or '), excluded: excluded.join(' or ') };
}

const OPERATORS = new Set(['or', 'and', 'not']);

/** The query's words that typo correction may replace: not operators, not excluded (`-word`), three letters or more. */
export function correctableWords(query: string): string[] {
  const words = new Set<string>();
  for (const token of query.toLowerCase().split(/\s+/)) {
    if (token.startsWith('-')) continue;
    for (const word of token.split(/[^\p{L}\p{N}]+/u)) {
      if (word.length >= 3 && word.length <= 40 && !OPERATORS.has(word)) words.add(word);
    }
  }
  return [...words];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The full-text query of a search: Postgres's web-search syntax (phrases in quotes, `-word` to
 * exclude, `or`), and — for each word that no stored text contains — the same query with that
 * word replaced by the known words nearest to it by trigram similarity (pg_trgm), up to three
 * variants or'ed together. `wordsTable` is the word list kept beside the searched rows.
 */
export async function buildTextQuery(pool: Pool, wordsTable: string, query: string): Promise<TextQuery> {
  const words = correctableWords(query);
  const corrections: Record<string, string[]> = {};
  if (words.length > 0) {
    const known = new Set((await pool.query<{ word: string }>(`select word from ${wordsTable} where word = any($1)`, [words])).rows.map((r) => r.word));
    for (const word of words.filter((w) => !known.has(w))) {
      const { rows } = await pool.query<{ word: string }>(
        `select word from ${wordsTable} where word % $1 order by similarity(word, $1) desc, word limit 3`, [word],
      );
      if (rows.length > 0) corrections[word] = rows.map((r) => r.word);
    }
  }
  const variants = [query];
  const wrong = Object.keys(corrections);
  for (let i = 0; i < 3 && wrong.length > 0; i++) {
    let variant = query;
    let changed = false;
    for (const word of wrong) {
      const options = corrections[word]!;
      if (i >= options.length) continue;
      variant = variant.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(word)}(?![\\p{L}\\p{N}])`, 'giu'), options[i]!);
      changed = true;
    }
    if (changed) variants.push(variant);
  }
  const tsquery = (list: readonly string[]) => list.map((_, i) => `websearch_to_tsquery('english', $${i + 1})`).join(' || ');
  const relaxedParams: string[] = [];
  const relaxedParts: string[] = [];
  for (const { wanted, excluded } of new Map(variants.map((v) => [JSON.stringify(relax(v)), relax(v)])).values()) {
    relaxedParams.push(wanted);
    const want = `websearch_to_tsquery('english', $${relaxedParams.length})`;
    if (excluded === '') {
      relaxedParts.push(want);
    } else {
      relaxedParams.push(excluded);
      relaxedParts.push(`(${want} && !!websearch_to_tsquery('english', $${relaxedParams.length}))`);
    }
  }
  return { sql: tsquery(variants), params: variants, corrections, relaxed: { sql: relaxedParts.join(' || '), params: relaxedParams } };
}

/** The scope as SQL conditions on alias `m`, with parameters numbered after `offset`. */
export function scopeSql(scope: SearchScope, offset: number): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (scope.owner !== undefined) {
    params.push(scope.owner);
    conditions.push(`m.owner = $${offset + params.length}`);
  }
  if (scope.vaults !== undefined) {
    params.push(scope.vaults);
    conditions.push(`m.agent_id = any($${offset + params.length})`);
  }
  if (scope.type !== undefined) {
    params.push(scope.type);
    conditions.push(`m.type = $${offset + params.length}`);
  }
  return { sql: conditions.map((c) => ` and ${c}`).join(''), params };
}

export interface TextHit {
  readonly id: string;
  readonly rank: number;
}

/** Rows a relaxed query ranks at most: or'ed common words can match most of a vault, and ranking is per row. */
const RELAXED_CANDIDATES = 2_000;

/** The SQL of the ranked matches (`id`, `rank`, `n` = its place), on parameters numbered after `offset`. */
export function rankedMatchesSql(
  schema: string, query: { sql: string; params: readonly string[] }, scope: SearchScope, k: number, candidates?: number, offset = 0,
): { sql: string; params: unknown[] } {
  const renumber = (sql: string) => sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
  const where = scopeSql(scope, offset + query.params.length + 1);
  const limit = `$${offset + query.params.length + 2 + where.params.length}`;
  return {
    sql: `select c.id, ts_rank_cd(c.search, c.q, 32) as rank, row_number() over (order by ts_rank_cd(c.search, c.q, 32) desc, c.updated_at desc) as n from (
       select m.id, m.search, m.updated_at, q.q from "${schema}".memories m, (select ${renumber(query.sql)} as q) q
       where m.search @@ q.q and not m.deleted${where.sql} ${candidates === undefined ? '' : `limit ${limit}`}) c
     order by n limit $${offset + query.params.length + 1}`,
    params: [...query.params, k, ...where.params, ...(candidates === undefined ? [] : [candidates])],
  };
}

async function rankedMatches(
  pool: Pool, schema: string, query: { sql: string; params: readonly string[] }, scope: SearchScope, k: number, candidates?: number,
): Promise<TextHit[]> {
  const { sql, params } = rankedMatchesSql(schema, query, scope, k, candidates);
  const { rows } = await pool.query<{ id: string; rank: number }>(sql, params);
  return rows.map((row) => ({ id: row.id, rank: Number(row.rank) }));
}

/** Rows of the strict query that want the relaxed one too: fewer than `want`, and a relaxed query that differs. */
export const needsRelaxed = (query: TextQuery, found: number, want: number): boolean => found < want && query.relaxed.params.join() !== query.params.join();

/** The relaxed matches after the strict ones (those not found already), `k` in all. */
export async function withRelaxed(pool: Pool, schema: string, query: TextQuery, scope: SearchScope, strict: TextHit[], k: number): Promise<TextHit[]> {
  const seen = new Set(strict.map((hit) => hit.id));
  const more = (await rankedMatches(pool, schema, query.relaxed, scope, k, RELAXED_CANDIDATES)).filter((hit) => !seen.has(hit.id));
  return [...strict, ...more].slice(0, k);
}

/**
 * Memories matching the query, best `ts_rank_cd` first (normalized to 0..1: rank / (rank + 1)):
 * those holding every word, then — when they are fewer than `want` — those holding some of them.
 */
export async function textSearch(pool: Pool, schema: string, query: TextQuery, scope: SearchScope, k: number, want = k): Promise<TextHit[]> {
  const strict = await rankedMatches(pool, schema, query, scope, k);
  return needsRelaxed(query, strict.length, want) ? withRelaxed(pool, schema, query, scope, strict, k) : strict;
}
