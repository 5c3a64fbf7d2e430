import { sql, type QueryCreator } from 'kysely';
import type { Alongside } from '@cadre/eventstore';
import { swarmOwner } from '../command';
import { wakeAt } from '../reactions';
import type { SwarmState } from '../swarm/state';
import type { SwarmsDatabase } from '../storage/database';
import { presentListItem } from './present';

/** The list row of a swarm as of `state`. */
function rowOf(state: SwarmState) {
  return {
    swarm_id: state.swarmId, version: state.version, owner: swarmOwner(state) ?? null, agent_id: state.agentId, status: state.status,
    created_at: state.createdAt, updated_at: state.updatedAt, wake_at: wakeAt(state) ?? null, body: JSON.stringify(presentListItem(state)),
  };
}

/**
 * A swarm's list row written in the append of the events that lead to `state` (see the event
 * store's Alongside): it commits with them, or not at all, with no round trip of its own. Only a
 * newer version replaces a row, as in writeSwarmView.
 */
export function swarmViewAlongside(schema: string, state: SwarmState): Alongside | undefined {
  if (!state.exists) return undefined;
  const row = rowOf(state);
  return {
    key: 'swarm_view',
    ctes: (p) => `swarm_row as (
       insert into "${schema}".swarm_view (swarm_id, version, owner, agent_id, status, created_at, updated_at, wake_at, body)
       select ${p(1)}::text, ${p(2)}::int, ${p(3)}::text, ${p(4)}::text, ${p(5)}::text, ${p(6)}::timestamptz, ${p(7)}::timestamptz, ${p(8)}::timestamptz, ${p(9)}::jsonb
       where exists (select 1 from appended)
       on conflict (swarm_id) do update set version = excluded.version, status = excluded.status, updated_at = excluded.updated_at,
         wake_at = excluded.wake_at, body = excluded.body
       where "${schema}".swarm_view.version < excluded.version
     )`,
    values: [row.swarm_id, row.version, row.owner, row.agent_id, row.status, row.created_at, row.updated_at, row.wake_at, row.body],
  };
}

/** Writes a swarm's list row as of `state`, unless the row already reflects that version or a newer one. */
export async function writeSwarmView(db: QueryCreator<SwarmsDatabase>, state: SwarmState): Promise<void> {
  if (!state.exists) return;
  const row = rowOf(state);
  await db.insertInto('swarm_view').values(row)
    .onConflict((c) => c.column('swarm_id').doUpdateSet({
      version: row.version, status: row.status, updated_at: row.updated_at, wake_at: row.wake_at, body: row.body,
    }).where('swarm_view.version', '<', sql<number>`excluded.version`))
    .execute();
}
