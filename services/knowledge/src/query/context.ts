import type { Pool } from 'pg';
import type { NodeRow } from './symbols';
import { symbolView } from './symbols';
import { neighbours, processesOf } from './traverse';

const strip = <T extends { from: number }>({ from: _from, ...rest }: T): Omit<T, 'from'> => rest;

/** A symbol's surroundings: callers, callees, base types and subtypes, its file's imports, its community and processes. */
export async function contextOf(pool: Pool, schema: string, projectId: string, symbol: NodeRow) {
  const s = `"${schema}"`;
  const [callers, callees, bases, subtypes, imports, importedBy, community, processes] = await Promise.all([
    neighbours(pool, schema, projectId, [symbol.id], 'in', ['CALLS']),
    neighbours(pool, schema, projectId, [symbol.id], 'out', ['CALLS']),
    neighbours(pool, schema, projectId, [symbol.id], 'out', ['EXTENDS', 'IMPLEMENTS']),
    neighbours(pool, schema, projectId, [symbol.id], 'in', ['EXTENDS', 'IMPLEMENTS']),
    pool.query<{ file: string }>(
      `select t.file from ${s}.nodes f join ${s}.edges e on e.project_id = f.project_id and e.source = f.id and e.type = 'IMPORTS'
       join ${s}.nodes t on t.project_id = e.project_id and t.id = e.target
       where f.project_id = $1 and f.label = 'File' and f.file = $2 order by t.file`, [projectId, symbol.file]),
    pool.query<{ file: string }>(
      `select t.file from ${s}.nodes f join ${s}.edges e on e.project_id = f.project_id and e.target = f.id and e.type = 'IMPORTS'
       join ${s}.nodes t on t.project_id = e.project_id and t.id = e.source
       where f.project_id = $1 and f.label = 'File' and f.file = $2 order by t.file`, [projectId, symbol.file]),
    symbol.community === null ? Promise.resolve({ rows: [] as NodeRow[] })
      : pool.query<NodeRow>(`select * from ${s}.nodes where project_id = $1 and label = 'Community' and (props->>'community_id')::int = $2`, [projectId, symbol.community]),
    processesOf(pool, schema, projectId, [symbol.id]),
  ]);
  const group = community.rows[0];
  return {
    symbol: symbolView(symbol),
    callers: callers.map(strip), callees: callees.map(strip), extends: bases.map(strip), implemented_by: subtypes.map(strip),
    imports: imports.rows.map((row) => row.file), imported_by: importedBy.rows.map((row) => row.file),
    community: group ? { id: Number(group.props.community_id), label: group.name, cohesion: Number(group.props.cohesion), size: Number(group.props.size) } : null,
    processes,
  };
}
