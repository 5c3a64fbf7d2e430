import { knowledgeCommunities, knowledgeGraphData, knowledgeProcesses } from '@cadre/proto';
import { endpoint } from '@cadre/runtime';
import type { KnowledgeContext } from '../context';
import { NODE_COLUMNS, symbolView, type NodeRow } from '../query/symbols';
import { graphFor } from './access';

/** Graph data, communities and processes. */
export function graphEndpoints(ctx: KnowledgeContext) {
  const s = `"${ctx.schema}"`;
  const edgeView = (edge: { source: number; target: number; type: string; confidence: number; reason: string; step: number | null }) =>
    ({ source: edge.source, target: edge.target, type: edge.type as never, confidence: Number(edge.confidence.toFixed(4)), reason: edge.reason, step: edge.step });

  return [
    endpoint(knowledgeGraphData, async ({ project_id: projectId, label, community, limit, cursor }, call) => {
      await graphFor(ctx, call, projectId);
      const filter = `n.project_id = $1 and ($2::text is null or n.label = $2) and ($3::int is null or n.community = $3)`;
      const args = [projectId, label ?? null, community ?? null];
      const [{ rows }, { rows: total }] = await Promise.all([
        ctx.pool.query<NodeRow>(`select ${NODE_COLUMNS} from ${s}.nodes n where ${filter} order by n.id limit $4 offset $5`, [...args, limit, cursor]),
        ctx.pool.query<{ count: string }>(`select count(*) from ${s}.nodes n where ${filter}`, args),
      ]);
      const ids = rows.map((row) => row.id);
      const { rows: edges } = await ctx.pool.query(
        `select source, target, type, confidence, reason, step from ${s}.edges
         where project_id = $1 and source = any($2::int[]) and target = any($2::int[]) order by source, target, type limit 50000`, [projectId, ids],
      );
      const count = Number(total[0]!.count);
      return {
        nodes: rows.map(symbolView), edges: edges.map(edgeView), total: count,
        next_cursor: cursor + rows.length < count ? cursor + rows.length : null,
      };
    }),

    endpoint(knowledgeCommunities, async ({ project_id: projectId }, call) => {
      const graph = await graphFor(ctx, call, projectId);
      const { rows } = await ctx.pool.query<NodeRow & { top: string[] | null }>(
        `select ${NODE_COLUMNS}, (
           select array_agg(m.qualified order by m.degree desc, m.qualified) from (
             select s.qualified, (select count(*) from ${s}.edges e where e.project_id = $1 and (e.source = s.id or e.target = s.id) and e.type = 'CALLS') as degree
             from ${s}.nodes s where s.project_id = $1 and s.community = (n.props->>'community_id')::int and s.label <> 'Community'
             order by degree desc, s.qualified limit 5) m) as top
         from ${s}.nodes n where n.project_id = $1 and n.label = 'Community' order by (n.props->>'community_id')::int`, [projectId],
      );
      return {
        modularity: graph.modularity,
        communities: rows.map((row) => ({
          id: Number(row.props.community_id), label: row.name, cohesion: Number(row.props.cohesion), size: Number(row.props.size), top_symbols: row.top ?? [],
        })),
      };
    }),

    endpoint(knowledgeProcesses, async ({ project_id: projectId, steps }, call) => {
      await graphFor(ctx, call, projectId);
      const { rows } = await ctx.pool.query<NodeRow>(
        `select ${NODE_COLUMNS} from ${s}.nodes n where n.project_id = $1 and n.label = 'Process' order by (n.props->>'process_id')::int`, [projectId],
      );
      const ends = rows.flatMap((row) => [Number(row.props.entry_id), Number(row.props.terminal_id)]);
      const { rows: endRows } = await ctx.pool.query<NodeRow>(`select ${NODE_COLUMNS} from ${s}.nodes n where n.project_id = $1 and n.id = any($2::int[])`, [projectId, ends]);
      const byId = new Map(endRows.map((row) => [row.id, row]));
      const stepRows = steps === 'true'
        ? (await ctx.pool.query<NodeRow & { process: number; step: number }>(
          `select ${NODE_COLUMNS}, e.target as process, e.step from ${s}.edges e join ${s}.nodes n on n.project_id = e.project_id and n.id = e.source
           where e.project_id = $1 and e.type = 'STEP_IN_PROCESS' order by e.target, e.step`, [projectId])).rows
        : [];
      return {
        processes: rows.map((row) => ({
          id: Number(row.props.process_id), name: row.name, type: row.props.process_type as 'intra_community' | 'cross_community',
          entry: symbolView(byId.get(Number(row.props.entry_id))!), terminal: symbolView(byId.get(Number(row.props.terminal_id))!),
          step_count: Number(row.props.step_count),
          ...(steps === 'true' ? {
            steps: stepRows.filter((step) => step.process === row.id)
              .map((step) => ({ step: step.step, depth: (row.props.depths as number[] | undefined)?.[step.step - 1] ?? 0, symbol: symbolView(step) })),
          } : {}),
        })),
      };
    }),
  ];
}
