import type { Pool } from 'pg';
import type { ScoreSettings } from '@cadre/proto';
import { adaptiveScore } from './formula';

export interface ScoreView {
  memory_id: string; title: string | null; access_count: number; valuation_count: number; useful_count: number; not_useful_count: number;
  usefulness: number; recency: number; frequency: number; adaptive_score: number; last_accessed: string | null; last_valued: string | null;
}

const round = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * The adaptive scores of an agent's memories (its vault's, and any other it recalled or rated),
 * computed now with the settings given, best first.
 */
export async function agentScores(
  pool: Pool, schema: string, agentId: string, owner: string | undefined, settings: ScoreSettings, now: Date,
  options: { readonly limit?: number; readonly memoryIds?: readonly string[] } = {},
): Promise<ScoreView[]> {
  const s = `"${schema}"`;
  const { rows } = await pool.query<{
    memory_id: string; title: string | null; updated_at: Date | null; access_count: number | null; useful_count: number | null;
    not_useful_count: number | null; last_accessed: Date | null; last_valued: Date | null;
  }>(
    `select coalesce(m.id, sc.memory_id) as memory_id, m.title, m.updated_at, sc.access_count, sc.useful_count, sc.not_useful_count,
       sc.last_accessed, sc.last_valued
     from (select * from ${s}.memories where agent_id = $1 and not deleted and ($2::text is null or owner = $2)) m
     full join (select * from ${s}.memory_scores where agent_id = $1 and ($2::text is null or owner = $2)) sc on sc.memory_id = m.id
     where ($3::text[] is null or coalesce(m.id, sc.memory_id) = any($3))`,
    [agentId, owner ?? null, options.memoryIds ?? null],
  );
  const titles = new Map<string, string>();
  const missing = rows.filter((row) => row.title === null).map((row) => row.memory_id);
  if (missing.length > 0) {
    const found = await pool.query<{ id: string; title: string; deleted: boolean }>(`select id, title, deleted from ${s}.memories where id = any($1)`, [missing]);
    for (const row of found.rows) if (!row.deleted) titles.set(row.id, row.title);
  }
  const views = rows.map((row): ScoreView => {
    const useful = row.useful_count ?? 0;
    const notUseful = row.not_useful_count ?? 0;
    const score = adaptiveScore({
      accessCount: row.access_count ?? 0, usefulCount: useful, notUsefulCount: notUseful,
      lastAccessed: row.last_accessed ?? row.updated_at ?? undefined, lastValued: row.last_valued ?? undefined,
    }, settings, now);
    return {
      memory_id: row.memory_id, title: row.title ?? titles.get(row.memory_id) ?? null,
      access_count: row.access_count ?? 0, valuation_count: useful + notUseful, useful_count: useful, not_useful_count: notUseful,
      usefulness: round(score.usefulness), recency: round(score.recency), frequency: round(score.frequency), adaptive_score: round(score.adaptive),
      last_accessed: row.last_accessed?.toISOString() ?? null, last_valued: row.last_valued?.toISOString() ?? null,
    };
  });
  views.sort((a, b) => b.adaptive_score - a.adaptive_score || a.memory_id.localeCompare(b.memory_id));
  return options.limit === undefined ? views : views.slice(0, options.limit);
}
