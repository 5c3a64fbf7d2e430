import type { Kysely } from 'kysely';
import type { SwarmListItem, SwarmStatus } from '@cadre/proto';
import type { SwarmsDatabase } from '../storage/database';

/** Swarms, newest first, narrowed by status, agent and owner (undefined: everyone's). */
export async function listSwarms(
  db: Kysely<SwarmsDatabase>,
  filter: { readonly status?: SwarmStatus | undefined; readonly agent_id?: string | undefined; readonly limit: number; readonly offset?: number | undefined },
  owner: string | undefined,
): Promise<{ swarms: SwarmListItem[]; total: number }> {
  let query = db.selectFrom('swarm_view');
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.agent_id !== undefined) query = query.where('agent_id', '=', filter.agent_id);
  if (owner !== undefined) query = query.where('owner', '=', owner);
  const [rows, count] = await Promise.all([
    query.select('body').orderBy('created_at', 'desc').orderBy('swarm_id', 'desc').limit(filter.limit).offset(filter.offset ?? 0).execute(),
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst(),
  ]);
  return { swarms: rows.map((r) => r.body), total: Number(count?.n ?? 0) };
}

/** Running swarms that need a look now (a retry due, the global timeout passed). */
export async function dueSwarms(db: Kysely<SwarmsDatabase>, now: Date, limit = 100): Promise<string[]> {
  const rows = await db.selectFrom('swarm_view').select('swarm_id')
    .where('status', '=', 'running').where('wake_at', '<=', now).orderBy('wake_at').limit(limit).execute();
  return rows.map((r) => r.swarm_id);
}
