import type { Pool } from 'pg';
import type { z } from 'zod';
import { ValidationError, type RunHistoryEntry, type RunView, type runHistory, type runList } from '@cadre/proto';

type ListRequest = z.infer<typeof runList.request>;
type HistoryRequest = z.infer<typeof runHistory.request>;

interface Cursor { readonly at: string; readonly id: string }

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at))) return { at, id };
  } catch {
    // Reported below like any other bad cursor.
  }
  throw new ValidationError('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API returned' }]);
}

/** In lists, texts longer than this are cut. */
const LIST_TEXT_CHARS = 1_000;
/** In lists, outputs bigger than this (as JSON) are left to the run's own route. */
const LIST_OUTPUTS_BYTES = 2_048;

/** Runs newest first, filtered (to one owner's when `owner` is given); keyset pages by `cursor`, or `offset`. */
export async function listRuns(pool: Pool, schema: string, request: ListRequest, owner?: string, pageBytes = 1_000_000): Promise<{ runs: RunView[]; total: number; next_cursor: string | null }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (owner !== undefined) where.push(`owner = $${params.push(owner)}`);
  if (request.pipeline_id !== undefined) where.push(`pipeline_id = $${params.push(request.pipeline_id)}`);
  if (request.status !== undefined) where.push(`status = $${params.push(request.status)}`);
  const filter = where.length > 0 ? `where ${where.join(' and ')}` : '';
  const table = `"${schema}".run_view`;
  const page = [...where];
  const pageParams = [...params];
  if (request.cursor !== undefined) {
    const cursor = decodeCursor(request.cursor);
    page.push(`(created_at, run_id) < ($${pageParams.push(cursor.at)}::timestamptz, $${pageParams.push(cursor.id)})`);
  }
  const offset = request.cursor === undefined ? request.offset ?? 0 : 0;
  // Summaries: long texts cut, big outputs left to the run's own route, so a page of 500 runs
  // stays small however large their tasks and outputs are.
  const pageSql = `select jsonb_set(jsonb_set(jsonb_set(body,
         '{task_description}', to_jsonb(left(body->>'task_description', ${LIST_TEXT_CHARS}))),
         '{human_context}', coalesce(to_jsonb(left(body->>'human_context', ${LIST_TEXT_CHARS})), 'null'::jsonb)),
         '{outputs}', case when octet_length((body->'outputs')::text) <= ${LIST_OUTPUTS_BYTES} then body->'outputs' else '{}'::jsonb end) as body,
       array_remove(array[
         case when length(body->>'task_description') > ${LIST_TEXT_CHARS} then 'task_description' end,
         case when length(body->>'human_context') > ${LIST_TEXT_CHARS} then 'human_context' end,
         case when octet_length((body->'outputs')::text) > ${LIST_OUTPUTS_BYTES} then 'outputs' end], null) as truncated,
       created_at, run_id
     from ${table} ${page.length > 0 ? `where ${page.join(' and ')}` : ''}
     order by created_at desc, run_id desc limit $${pageParams.push(request.limit + 1)} offset $${pageParams.push(offset)}`;
  // The total and the page from one snapshot: runs are written between two plain reads.
  const client = await pool.connect();
  let total: number;
  let rows: Array<{ body: RunView; truncated: Array<'task_description' | 'human_context' | 'outputs'>; created_at: Date; run_id: string }>;
  try {
    await client.query('begin isolation level repeatable read read only');
    total = Number((await client.query<{ n: string }>(`select count(*) as n from ${table} ${filter}`, params)).rows[0]?.n ?? 0);
    rows = (await client.query<(typeof rows)[number]>(pageSql, pageParams)).rows;
    await client.query('commit');
    client.release();
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    client.release(error instanceof Error ? error : true);
    throw error;
  }
  // Bounded in bytes as well as rows: a page ends early (with a cursor to the rest) once it is big.
  const shown: typeof rows = [];
  let bytes = 0;
  for (const row of rows.slice(0, request.limit)) {
    const size = Buffer.byteLength(JSON.stringify(row.body));
    if (shown.length > 0 && bytes + size > pageBytes) break;
    shown.push(row);
    bytes += size;
  }
  const more = rows.length > shown.length;
  const last = shown.at(-1);
  return {
    runs: shown.map((r) => (r.truncated.length > 0 ? { ...r.body, truncated: r.truncated } : r.body)),
    total,
    next_cursor: more && last !== undefined ? encodeCursor({ at: last.created_at.toISOString(), id: last.run_id }) : null,
  };
}

/** Step attempts newest first, filtered as the seed's run-history endpoint is. */
export async function queryHistory(pool: Pool, schema: string, request: HistoryRequest): Promise<{ entries: Array<z.infer<typeof RunHistoryEntry>> }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (request.project_id !== undefined) where.push(`project_id = $${params.push(request.project_id)}`);
  if (request.task_id !== undefined) where.push(`task_id = $${params.push(request.task_id)}`);
  if (request.agent_id !== undefined) where.push(`agent_id = $${params.push(request.agent_id)}`);
  if (request.status !== undefined) where.push(`status = $${params.push(request.status)}`);
  if (request.since !== undefined) where.push(`queued_at >= $${params.push(request.since)}::timestamptz`);
  const rows = (await pool.query<{ body: z.infer<typeof RunHistoryEntry> }>(
    `select body from "${schema}".run_history ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
     order by queued_at desc, run_id, step_id, attempt desc limit $${params.push(request.limit)}`,
    params,
  )).rows;
  return { entries: rows.map((r) => r.body) };
}

/** Running attempts whose deadline has passed (the sweeper's work list). */
export async function overdueSteps(pool: Pool, schema: string, now: Date, limit = 100): Promise<Array<{ run_id: string; step_id: string; attempt: number }>> {
  return (await pool.query<{ run_id: string; step_id: string; attempt: number }>(
    `select run_id, step_id, attempt from "${schema}".step_view where status = 'running' and deadline <= $1 order by deadline limit $2`,
    [now, limit],
  )).rows;
}
