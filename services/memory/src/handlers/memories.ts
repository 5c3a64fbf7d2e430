import type { RequestHandler } from '@cadre/bus';
import {
  ConflictError, NotFoundError, SHARED_VAULT, ValidationError,
  memoryDelete, memoryGet, memoryGraph, memoryRemember, memoryUpdate, memoryVault, memoryVaults,
} from '@cadre/proto';
import { endpoint, metaOf, mayAccess, requireAccess } from '@cadre/runtime';
import type { MemoryContext } from '../context';
import { loadMemoryRow, runMemoryCommand } from '../memory/commands';
import { MEMORY_COLUMNS, presentMemory, type MemoryRow } from '../memory/present';
import { actingUser, memoryNotFound, readScope } from './access';

const encodeCursor = (row: MemoryRow) => Buffer.from(`${row.updated_at.toISOString()}|${row.id}`).toString('base64url');
function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!at || !id || Number.isNaN(Date.parse(at))) throw new ValidationError('cursor is not one this service gave', { cursor });
  return { at, id };
}

/** Vaults, one memory's create/read/update/delete, the link graph. */
export function memoryEndpoints(ctx: MemoryContext): ReadonlyArray<readonly [string, RequestHandler]> {
  const s = `"${ctx.schema}"`;

  /** A live memory of the vault the caller may see, or the same 404 as one that does not exist. */
  async function visibleMemory(call: Parameters<typeof requireAccess>[0], agentId: string, memoryId: string): Promise<MemoryRow> {
    const row = await loadMemoryRow(ctx, memoryId);
    if (row === undefined || row.deleted || row.agent_id !== agentId) throw memoryNotFound(memoryId);
    requireAccess(call, row.owner ?? undefined, () => memoryNotFound(memoryId));
    return row;
  }

  return [
    endpoint(memoryVaults, async (_request, call) => {
      const scope = readScope(call, undefined);
      const { rows } = await ctx.pool.query<{ agent_id: string; count: string; updated_at: Date | null; by_type: Record<string, number> }>(
        `select agent_id, sum(n)::bigint as count, max(updated_at) as updated_at, jsonb_object_agg(type, n) as by_type
         from (select agent_id, type, count(*) as n, max(updated_at) as updated_at from ${s}.memories
               where not deleted and ($1::text is null or owner = $1) group by agent_id, type) t
         group by agent_id order by agent_id`,
        [scope.owner ?? null],
      );
      const vaults = rows.map((row) => ({
        agent_id: row.agent_id, shared: row.agent_id === SHARED_VAULT, count: Number(row.count),
        by_type: Object.fromEntries(Object.entries(row.by_type).map(([k, v]) => [k, Number(v)])), updated_at: row.updated_at?.toISOString() ?? null,
      }));
      if (!vaults.some((v) => v.shared)) vaults.unshift({ agent_id: SHARED_VAULT, shared: true, count: 0, by_type: {}, updated_at: null });
      return { vaults };
    }),

    endpoint(memoryVault, async (request, call) => {
      const scope = readScope(call, undefined);
      const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
      const filters = `agent_id = $1 and not deleted and ($2::text is null or owner = $2) and ($3::text is null or type = $3)
        and ($4::text is null or $4 = any(tags))`;
      const base = [request.agent_id, scope.owner ?? null, request.type ?? null, request.tag ?? null];
      const { rows } = await ctx.pool.query<MemoryRow>(
        `select ${MEMORY_COLUMNS} from ${s}.memories where ${filters}
           and ($5::timestamptz is null or (updated_at, id) < ($5::timestamptz, $6::text))
         order by updated_at desc, id desc limit $7`,
        [...base, after?.at ?? null, after?.id ?? null, request.limit + 1],
      );
      const total = await ctx.pool.query<{ n: string }>(`select count(*) as n from ${s}.memories where ${filters}`, base);
      const page = rows.slice(0, request.limit);
      return {
        agent_id: request.agent_id, memories: page.map(presentMemory), total: Number(total.rows[0]!.n),
        next_cursor: rows.length > request.limit ? encodeCursor(page.at(-1)!) : null,
      };
    }),

    endpoint(memoryRemember, async (request, call) => {
      const owner = actingUser(call, request.user_id);
      const memoryId = request.id ?? ctx.newId();
      if (request.id !== undefined) {
        const existing = await loadMemoryRow(ctx, memoryId);
        if (existing !== undefined && !existing.deleted && !mayAccess(call, existing.owner ?? undefined) && request.user_id === undefined) {
          throw new ConflictError(`memory id '${memoryId}' is taken`);
        }
      }
      const outcome = await runMemoryCommand(ctx, {
        kind: 'save', memoryId, agentId: request.agent_id,
        content: { title: request.title, body: request.body, type: request.type, tags: request.tags },
        ...(request.run_id !== undefined ? { runId: request.run_id } : {}),
      }, { owner, meta: metaOf(call) });
      const row = await loadMemoryRow(ctx, memoryId);
      if (row === undefined) throw new NotFoundError(`no memory '${memoryId}'`);
      return { ...presentMemory(row), created: outcome.result === 'created' };
    }),

    endpoint(memoryGet, async (request, call) => presentMemory(await visibleMemory(call, request.agent_id, request.memory_id))),

    endpoint(memoryUpdate, async (request, call) => {
      const row = await visibleMemory(call, request.agent_id, request.memory_id);
      await runMemoryCommand(ctx, {
        kind: 'update', memoryId: row.id, agentId: row.agent_id,
        patch: {
          ...(request.title !== undefined ? { title: request.title } : {}), ...(request.body !== undefined ? { body: request.body } : {}),
          ...(request.type !== undefined ? { type: request.type } : {}), ...(request.tags !== undefined ? { tags: request.tags } : {}),
        },
      }, { owner: row.owner ?? undefined, meta: metaOf(call) });
      return presentMemory((await loadMemoryRow(ctx, row.id))!);
    }),

    endpoint(memoryDelete, async (request, call) => {
      const row = await visibleMemory(call, request.agent_id, request.memory_id);
      await runMemoryCommand(ctx, { kind: 'delete', memoryId: row.id, agentId: row.agent_id }, { owner: row.owner ?? undefined, meta: metaOf(call) });
      return { id: row.id, deleted: true };
    }),

    endpoint(memoryGraph, async (request, call) => {
      const scope = readScope(call, undefined);
      const { rows } = await ctx.pool.query<{ id: string; title: string; type: string; agent_id: string; links: string[] }>(
        `select id, title, type, agent_id, links from ${s}.memories
         where not deleted and ($2::text is null or owner = $2) and (agent_id = $1 or agent_id = '${SHARED_VAULT}')
         order by updated_at desc limit 20000`,
        [request.agent_id, scope.owner ?? null],
      );
      // A link names a title: the vault's own memory of that title first, else the shared vault's.
      const byTitle = new Map<string, string>();
      for (const row of [...rows].sort((a, b) => Number(a.agent_id === request.agent_id) - Number(b.agent_id === request.agent_id))) {
        byTitle.set(row.title.toLowerCase(), row.id);
      }
      const inVault = rows.filter((row) => row.agent_id === request.agent_id);
      const edges = inVault.flatMap((row) => row.links.map((title) => {
        const to = byTitle.get(title.toLowerCase()) ?? null;
        return { from: row.id, to, title, resolved: to !== null };
      }));
      const nodesById = new Map(rows.map((row) => [row.id, row]));
      let keep: Set<string>;
      if (request.memory_id === undefined) {
        keep = new Set([...inVault.map((row) => row.id), ...edges.flatMap((e) => (e.to === null ? [] : [e.to]))]);
      } else {
        if (!inVault.some((row) => row.id === request.memory_id)) throw memoryNotFound(request.memory_id);
        keep = new Set([request.memory_id]);
        for (let step = 0; step < request.depth; step++) {
          const reached = new Set(keep);
          for (const edge of edges) {
            if (edge.to === null) continue;
            if (keep.has(edge.from)) reached.add(edge.to);
            if (keep.has(edge.to)) reached.add(edge.from);
          }
          keep = reached;
        }
      }
      return {
        nodes: [...keep].flatMap((id) => {
          const node = nodesById.get(id);
          return node ? [{ id: node.id, title: node.title, type: node.type, agent_id: node.agent_id }] : [];
        }),
        edges: edges.filter((edge) => keep.has(edge.from) && (edge.to === null ? request.memory_id === undefined : keep.has(edge.to))),
      };
    }),
  ];
}
