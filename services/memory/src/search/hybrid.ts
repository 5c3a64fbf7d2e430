import type { Pool } from 'pg';
import type { ScoreSettings, SearchHit } from '@cadre/proto';
import type { Logger } from '@cadre/logging';
import { bySimilarity, type VectorFilter, type VectorHit } from '../embeddings/index-store';
import type { EmbeddingsRuntime } from '../embeddings/runtime';
import { adaptiveScore, blend } from '../scores/formula';
import { fuse } from './fusion';
import { buildTextQuery, needsRelaxed, rankedMatchesSql, textSearch, withRelaxed, type SearchScope, type TextHit, type TextQuery } from './text';

export interface MemorySearchDeps {
  readonly pool: Pool;
  readonly schema: string;
  readonly logger: Logger;
  readonly clock: () => Date;
  readonly settings: () => Promise<ScoreSettings>;
  /** The embedding provider at work (undefined: full-text only), read for each search. */
  readonly embeddings: () => Promise<EmbeddingsRuntime | undefined>;
  /** Cosine similarity below which the vector side ignores a memory. */
  readonly minSimilarity: number;
}

export interface MemorySearchRequest {
  readonly query: string;
  readonly scope: SearchScope;
  readonly limit: number;
  /** Whose adaptive scores weigh the hits (the agent recalling); each memory's own vault when absent. */
  readonly scoreAgent?: string;
}

export interface MemorySearchResult {
  readonly query: string;
  readonly mode: 'hybrid' | 'text';
  readonly corrections: Record<string, string[]>;
  readonly embedding_model: string | null;
  readonly note?: string;
  readonly results: SearchHit[];
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * The memory search: Postgres full-text ranking (web-search syntax, typo-corrected words) and,
 * with an embedding provider, cosine similarity of the query's vector — the two lists fused by
 * reciprocal rank, then each hit weighted by its adaptive score (raw × (0.70 + 0.30 × adaptive)
 * with the default settings). Each hit says which side found it and every score on the way.
 */
export async function searchMemories(deps: MemorySearchDeps, request: MemorySearchRequest): Promise<MemorySearchResult> {
  const s = `"${deps.schema}"`;
  const depth = Math.max(request.limit * 3, 30);
  const embeddings = await deps.embeddings();
  let note: string | undefined;
  const filter: VectorFilter = { ...(request.scope.owner !== undefined ? { owner: request.scope.owner } : {}), ...(request.scope.vaults ? { vaults: request.scope.vaults } : {}) };
  const queryVector = async (): Promise<Float32Array | undefined> => {
    try {
      const [vector] = await embeddings!.provider.embed([request.query]);
      // A query with no meaning to the model (a zero vector) is near nothing.
      return vector!.some((x) => x !== 0) ? vector : undefined;
    } catch (err) {
      deps.logger.warn({ err }, 'vector side of a search failed; full-text only');
      note = 'the embedding provider did not answer: these are full-text results only';
      return undefined;
    }
  };
  // The query's vector is asked for while the full-text query is built (and, in-process, the index refreshed).
  const asked = embeddings ? queryVector() : Promise.resolve(undefined);
  const refreshed = embeddings?.memories.vectors.refresh?.().then(() => true, () => false) ?? Promise.resolve(false);
  const textQuery = await buildTextQuery(deps.pool, `${s}.memory_words`, request.query);
  let text: TextHit[];
  let vector: VectorHit[] = [];
  if (embeddings?.memories.vectors.pg) {
    // pgvector: the nearest vectors and the full-text ranking in one statement.
    const q = await asked;
    if (q === undefined) {
      text = await textSearch(deps.pool, deps.schema, textQuery, request.scope, depth, request.limit);
    } else {
      [text, vector] = await pgvectorSearch(deps, embeddings.memories.vectors.pg, textQuery, request.scope, q, filter, depth, request.limit);
    }
  } else {
    const vectorSide = embeddings
      ? Promise.all([asked, refreshed]).then(([q, fresh]) => (q === undefined ? [] : embeddings.memories.vectors.nearest(q, filter, depth, deps.minSimilarity, fresh))).catch((err: unknown) => {
        deps.logger.warn({ err }, 'vector side of a search failed; full-text only');
        return [];
      })
      : Promise.resolve([]);
    [text, vector] = await Promise.all([textSearch(deps.pool, deps.schema, textQuery, request.scope, depth, request.limit), vectorSide]);
  }
  const model = embeddings?.provider.model ?? null;
  const mode = embeddings ? 'hybrid' as const : 'text' as const;
  const fused = fuse(text, vector);
  if (fused.length === 0) {
    return { query: request.query, mode, corrections: textQuery.corrections, embedding_model: model, ...(note ? { note } : {}), results: [] };
  }
  const ids = fused.map((f) => f.id);
  const typeFilter = request.scope.type;
  const n = textQuery.relaxed.params.length;
  const details = await deps.pool.query<{
    id: string; agent_id: string; title: string; type: string; tags: string[]; snippet: string; updated_at: Date;
    access_count: number | null; useful_count: number | null; not_useful_count: number | null; last_accessed: Date | null; last_valued: Date | null;
  }>(
    `select m.id, m.agent_id, m.title, m.type, m.tags, m.updated_at,
       ts_headline('english', m.body, q.q, 'MaxFragments=1, MaxWords=30, MinWords=12, StartSel=**, StopSel=**') as snippet,
       sc.access_count, sc.useful_count, sc.not_useful_count, sc.last_accessed, sc.last_valued
     from ${s}.memories m cross join (select ${textQuery.relaxed.sql} as q) q
     left join ${s}.memory_scores sc on sc.memory_id = m.id and sc.agent_id = coalesce($${n + 2}, m.agent_id)
     where m.id = any($${n + 1}) and not m.deleted
       and ($${n + 3}::text is null or m.type = $${n + 3})`,
    [...textQuery.relaxed.params, ids, request.scoreAgent ?? null, typeFilter ?? null],
  );
  const byId = new Map(details.rows.map((row) => [row.id, row]));
  const settings = await deps.settings();
  const now = deps.clock();
  const hits: SearchHit[] = [];
  for (const f of fused) {
    const row = byId.get(f.id);
    if (row === undefined) continue;
    const score = adaptiveScore({
      accessCount: row.access_count ?? 0, usefulCount: row.useful_count ?? 0, notUsefulCount: row.not_useful_count ?? 0,
      lastAccessed: row.last_accessed ?? row.updated_at, lastValued: row.last_valued ?? undefined,
    }, settings, now);
    const final = blend(f.fused, score.adaptive, settings);
    hits.push({
      id: row.id, agent_id: row.agent_id, title: row.title, type: row.type, tags: row.tags, snippet: row.snippet,
      match: f.textRank !== null && f.vectorRank !== null ? 'both' : f.textRank !== null ? 'text' : 'vector',
      scores: {
        text: f.textScore === null ? null : round(f.textScore), text_rank: f.textRank,
        vector: f.vectorScore === null ? null : round(f.vectorScore), vector_rank: f.vectorRank,
        fused: round(f.fused), adaptive: round(score.adaptive), final: round(final),
      },
    });
  }
  hits.sort((a, b) => b.scores.final - a.scores.final);
  return {
    query: request.query, mode, corrections: textQuery.corrections,
    embedding_model: model, ...(note ? { note } : {}), results: hits.slice(0, request.limit),
  };
}

/**
 * The pgvector path: one statement ranks the full-text matches (`ts_rank_cd`) and the nearest
 * vectors (`<=>` through the model's HNSW index) of the same scope; the relaxed full-text query
 * follows when the strict one found too few, as on the in-process path.
 */
async function pgvectorSearch(
  deps: MemorySearchDeps, pg: NonNullable<EmbeddingsRuntime['memories']['vectors']['pg']>, textQuery: TextQuery, scope: SearchScope,
  query: Float32Array, filter: VectorFilter, depth: number, want: number,
): Promise<[TextHit[], VectorHit[]]> {
  const t = rankedMatchesSql(deps.schema, textQuery, scope, depth);
  const v = pg.nearestSql(query, filter, depth, t.params.length);
  const client = await deps.pool.connect();
  let rows: Array<{ side: 'text' | 'vector'; id: string; score: number; n: string }>;
  try {
    await client.query(`begin; ${pg.sessionSettings(depth)}`);
    ({ rows } = await client.query(
      `with t as (${t.sql}), v as (${v.sql})
       select 'text' as side, id, rank as score, n from t
       union all select 'vector' as side, id, similarity as score, 0 as n from v`,
      [...t.params, ...v.params],
    ));
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  const strict = rows.filter((row) => row.side === 'text').sort((a, b) => Number(a.n) - Number(b.n)).map((row) => ({ id: row.id, rank: Number(row.score) }));
  const vector = rows.filter((row) => row.side === 'vector').map((row) => ({ id: row.id, similarity: Number(row.score) }))
    .filter((hit) => !Number.isNaN(hit.similarity) && hit.similarity >= deps.minSimilarity).sort(bySimilarity);
  const text = needsRelaxed(textQuery, strict.length, want) ? await withRelaxed(deps.pool, deps.schema, textQuery, scope, strict, depth) : strict;
  return [text, vector];
}
