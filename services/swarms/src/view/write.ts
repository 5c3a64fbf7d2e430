import { sql, type QueryCreator } from 'kysely';
import { swarmOwner } from '../command';
import { wakeAt } from '../reactions';
import type { SwarmState } from '../swarm/state';
import type { SwarmsDatabase } from '../storage/database';
import { presentListItem } from './present';

/** Writes a swarm's list row as of `state`, unless the row already reflects that version or a newer one. */
export async function writeSwarmView(db: QueryCreator<SwarmsDatabase>, state: SwarmState): Promise<void> {
  if (!state.exists) return;
  const row = {
    swarm_id: state.swarmId, version: state.version, owner: swarmOwner(state) ?? null, agent_id: state.agentId, status: state.status,
    created_at: state.createdAt, updated_at: state.updatedAt, wake_at: wakeAt(state) ?? null, body: JSON.stringify(presentListItem(state)),
  };
  await db.insertInto('swarm_view').values(row)
    .onConflict((c) => c.column('swarm_id').doUpdateSet({
      version: row.version, status: row.status, updated_at: row.updated_at, wake_at: row.wake_at, body: row.body,
    }).where('swarm_view.version', '<', sql<number>`excluded.version`))
    .execute();
}
