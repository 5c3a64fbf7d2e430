import type { EventEnvelope } from '@cadre/proto';
import type { Execute } from '../memory/rows';

/**
 * Counts one retrieval, valuation or gap event into the score tables, inside the caller's
 * transaction, once: the event id is recorded with the counts, so the writer (before it replies)
 * and the projection (on every replica) may both apply it.
 */
export async function applyScoreEvent(execute: Execute, schema: string, event: EventEnvelope): Promise<void> {
  const s = `"${schema}"`;
  const data = event.data as Record<string, unknown>;
  const owner = event.meta.owner ?? null;
  if (event.type === 'memory_gap') {
    await execute(
      `insert into ${s}.memory_gaps (event_id, owner, agent_id, query, run_id, created_at) values ($1, $2, $3, $4, $5, $6) on conflict do nothing`,
      [event.id, owner, data.agent_id, data.query, data.run_id ?? null, event.occurredAt],
    );
    return;
  }
  if (event.type !== 'memory_retrieved' && event.type !== 'memory_valued') return;
  const first = await execute(`insert into ${s}.memory_score_applied (event_id) values ($1) on conflict do nothing`, [event.id]);
  if (first === 0) return;
  if (event.type === 'memory_retrieved') {
    const ids = (data.hits as Array<{ memory_id: string }>).map((hit) => hit.memory_id);
    await execute(
      `insert into ${s}.memory_scores (agent_id, memory_id, owner, access_count, last_accessed)
       select $1, id, $2, 1, $3 from unnest($4::text[]) as id
       on conflict (agent_id, memory_id) do update set access_count = ${s}.memory_scores.access_count + 1,
         last_accessed = greatest(${s}.memory_scores.last_accessed, excluded.last_accessed)`,
      [data.agent_id, owner, event.occurredAt, ids],
    );
    return;
  }
  const useful = data.useful === true;
  await execute(
    `insert into ${s}.memory_scores (agent_id, memory_id, owner, useful_count, not_useful_count, last_valued)
     values ($1, $2, $3, $4, $5, $6)
     on conflict (agent_id, memory_id) do update set useful_count = ${s}.memory_scores.useful_count + excluded.useful_count,
       not_useful_count = ${s}.memory_scores.not_useful_count + excluded.not_useful_count,
       last_valued = greatest(${s}.memory_scores.last_valued, excluded.last_valued)`,
    [data.agent_id, data.memory_id, owner, useful ? 1 : 0, useful ? 0 : 1, event.occurredAt],
  );
}
