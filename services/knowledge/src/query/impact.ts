import type { Pool } from 'pg';
import { neighbours, processesOf, riskOf, type Related } from './traverse';
import { symbolView, type NodeRow } from './symbols';

const LINKS = ['CALLS', 'EXTENDS', 'IMPLEMENTS'];

export interface ImpactRequest {
  readonly direction: 'upstream' | 'downstream';
  readonly maxDepth: number;
  readonly minConfidence: number;
}

/**
 * What a change to a symbol reaches: upstream, the symbols that call it, extend or implement it
 * (and theirs, up to `maxDepth`); downstream, what it calls and builds on. Edges under
 * `minConfidence` are not followed. Each symbol is listed once, at the depth it is first reached.
 */
export async function impactOf(pool: Pool, schema: string, projectId: string, target: NodeRow, request: ImpactRequest) {
  const seen = new Set([target.id]);
  const byDepth: { depth: number; symbols: Related[] }[] = [];
  let frontier = [target.id];
  for (let depth = 1; depth <= request.maxDepth && frontier.length > 0; depth++) {
    const found = await neighbours(pool, schema, projectId, frontier, request.direction === 'upstream' ? 'in' : 'out', LINKS, request.minConfidence);
    const fresh: Related[] = [];
    for (const { from: _from, ...symbol } of found) {
      if (seen.has(symbol.id)) continue;
      seen.add(symbol.id);
      fresh.push(symbol);
    }
    if (fresh.length === 0) break;
    byDepth.push({ depth, symbols: fresh });
    frontier = fresh.map((symbol) => symbol.id);
  }
  const affected = [...seen];
  const processes = await processesOf(pool, schema, projectId, affected);
  const total = affected.length - 1;
  return {
    target: symbolView(target), direction: request.direction, risk: riskOf(total, processes.length),
    summary: { direct: byDepth[0]?.symbols.length ?? 0, total, affected_processes: processes.length },
    by_depth: byDepth, affected_processes: processes.map(({ id, name }) => ({ id, name })),
  };
}
