import type { Pool } from 'pg';
import { NODE_COLUMNS, symbolView, type NodeRow } from './symbols';

export type Related = ReturnType<typeof symbolView> & { confidence: number; reason: string };

/** Symbols joined to `ids` by edges of the types (callers: `in`, callees: `out`), with the edge's confidence and reason. */
export async function neighbours(pool: Pool, schema: string, projectId: string, ids: readonly number[], direction: 'in' | 'out', types: readonly string[], minConfidence = 0) {
  const [near, far] = direction === 'in' ? ['target', 'source'] : ['source', 'target'];
  const { rows } = await pool.query<NodeRow & { confidence: number; reason: string; from_id: number }>(
    `select ${NODE_COLUMNS}, e.confidence::float8 as confidence, e.reason, e.${near} as from_id
     from "${schema}".edges e join "${schema}".nodes n on n.project_id = e.project_id and n.id = e.${far}
     where e.project_id = $1 and e.${near} = any($2::int[]) and e.type = any($3::text[]) and e.confidence >= $4
     order by e.confidence desc, n.file, n.start_line`,
    [projectId, ids, types, minConfidence],
  );
  return rows.map((row) => ({ ...symbolView(row), confidence: Number(row.confidence.toFixed(4)), reason: row.reason, from: row.from_id }));
}

/** Processes that have any of the symbols as a step. */
export async function processesOf(pool: Pool, schema: string, projectId: string, ids: readonly number[]) {
  const { rows } = await pool.query<{ id: number; name: string; step: number }>(
    `select distinct on ((p.props->>'process_id')::int) (p.props->>'process_id')::int as id, p.name, e.step
     from "${schema}".edges e join "${schema}".nodes p on p.project_id = e.project_id and p.id = e.target
     where e.project_id = $1 and e.type = 'STEP_IN_PROCESS' and e.source = any($2::int[])
     order by (p.props->>'process_id')::int, e.step`,
    [projectId, ids],
  );
  return rows;
}

export type Risk = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

/**
 * Risk of a change by what it reaches: affected symbols plus twice the processes they take part
 * in (a process is a path users exercise). ≤ 2: LOW, ≤ 5: MEDIUM, ≤ 10: HIGH, above: CRITICAL.
 */
export function riskOf(symbols: number, processes: number): Risk {
  const score = symbols + 2 * processes;
  return score <= 2 ? 'LOW' : score <= 5 ? 'MEDIUM' : score <= 10 ? 'HIGH' : 'CRITICAL';
}
