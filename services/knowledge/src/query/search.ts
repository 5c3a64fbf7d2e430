import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import type { Pool } from 'pg';
import { nameWords } from '../storage/graph-store';
import { NODE_COLUMNS, symbolView, type NodeRow } from './symbols';

export interface SearchRequest {
  readonly query: string;
  readonly limit: number;
  readonly label?: string;
  readonly includeContent: boolean;
}

const MAX_CONTENT_LINES = 40;

/** The words of a query as a prefix-matching tsquery of alternatives (`parse:* | http:*`). */
function tsQueryOf(query: string): string {
  const words = nameWords(query).split(/[^a-z0-9]+/).filter((word) => word.length > 0).slice(0, 20);
  return words.map((word) => `${word}:*`).join(' | ');
}

/**
 * A file of the indexed folder as text — only a regular file whose real path lies in the folder: the
 * tree may have changed since the index (a file turned into a link to /proc/self/environ, say).
 */
export async function sourceOf(root: string, file: string): Promise<string | undefined> {
  try {
    const [realRoot, real] = await Promise.all([realpath(root), realpath(join(root, file))]);
    const rel = relative(realRoot, real);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || !(await stat(real)).isFile()) return undefined;
    return await readFile(real, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Ranked search over symbols: Postgres full-text on name words (weight A), signature (C) and doc
 * comment (D), plus trigram similarity of the name, an exact name ranked first. With
 * `includeContent`, each hit's source lines (up to 40) read from the indexed folder.
 */
export async function searchSymbols(pool: Pool, schema: string, projectId: string, root: string, request: SearchRequest) {
  const tsquery = tsQueryOf(request.query);
  const { rows } = await pool.query<NodeRow & { score: number }>(
    `with q as (select case when $3 = '' then null else to_tsquery('simple', $3) || to_tsquery('english', $3) end as ts, lower($2) as name)
     select ${NODE_COLUMNS},
       (coalesce(ts_rank_cd(n.search, q.ts), 0) + 2 * similarity(lower(n.name), q.name) + case when lower(n.name) = q.name then 3 else 0 end + case when n.name = $2 then 1 else 0 end)::float8 as score
     from "${schema}".nodes n, q
     where n.project_id = $1 and n.label not in ('Folder', 'Community', 'Process') and ($4::text is null or n.label = $4)
       and ((q.ts is not null and n.search @@ q.ts) or lower(n.name) % q.name)
     order by score desc, n.id limit $5`,
    [projectId, request.query, tsquery, request.label ?? null, request.limit],
  );
  const results = [];
  // Hits share files: each is read once per search.
  const files = new Map<string, Promise<string | undefined>>();
  const read = (file: string): Promise<string | undefined> => {
    if (!files.has(file)) files.set(file, sourceOf(root, file));
    return files.get(file)!;
  };
  for (const row of rows) {
    const content = request.includeContent && row.file !== null && row.start_line !== null
      ? await read(row.file).then((text) => text?.split('\n').slice(row.start_line! - 1, Math.min(row.end_line ?? row.start_line!, row.start_line! - 1 + MAX_CONTENT_LINES)).join('\n'))
      : undefined;
    results.push({ ...symbolView(row), score: Number(row.score.toFixed(4)), ...(content !== undefined ? { content } : {}) });
  }
  return { results };
}
