import { CompiledQuery, type Kysely } from 'kysely';
import type { Alongside } from '@cadre/eventstore';
import { swarmOwner } from '../command';
import { wakeAt } from '../reactions';
import type { SwarmState } from '../swarm/state';
import type { SwarmsDatabase } from '../storage/database';
import { presentListItem } from './present';

/** The parameters of swarmRowCte for a swarm's state. */
function rowValues(state: SwarmState): unknown[] {
  return [
    state.swarmId, state.version, swarmOwner(state) ?? null, state.agentId, state.status, state.createdAt, state.updatedAt,
    wakeAt(state) ?? null, JSON.stringify(presentListItem(state)),
  ];
}

/**
 * The upsert of a swarm's list row (data-modifying CTE `swarm_row`), written only when `guard`
 * holds and only over an older version.
 */
function swarmRowCte(schema: string, p: (index: number) => string, guard: string): string {
  return `swarm_row as (
       insert into "${schema}".swarm_view (swarm_id, version, owner, agent_id, status, created_at, updated_at, wake_at, body)
       select ${p(1)}::text, ${p(2)}::int, ${p(3)}::text, ${p(4)}::text, ${p(5)}::text, ${p(6)}::timestamptz, ${p(7)}::timestamptz, ${p(8)}::timestamptz, ${p(9)}::jsonb
       ${guard}
       on conflict (swarm_id) do update set version = excluded.version, status = excluded.status, updated_at = excluded.updated_at,
         wake_at = excluded.wake_at, body = excluded.body
       where "${schema}".swarm_view.version < excluded.version
     )`;
}

/**
 * A swarm's list row written in the append of the events that lead to `state` (see the event
 * store's Alongside): it commits with them, or not at all, with no round trip of its own.
 */
export function swarmViewAlongside(schema: string, state: SwarmState): Alongside | undefined {
  if (!state.exists) return undefined;
  return { key: 'swarm_view', ctes: (p) => swarmRowCte(schema, p, 'where exists (select 1 from appended)'), values: rowValues(state) };
}

/** Writes a swarm's list row as of `state` (the projection's write), unless the row already reflects that version or a newer one. */
export async function writeSwarmView(db: Kysely<SwarmsDatabase>, schema: string, state: SwarmState): Promise<void> {
  if (!state.exists) return;
  await db.executeQuery(CompiledQuery.raw(`with ${swarmRowCte(schema, (index) => `$${index}`, '')} select 1`, rowValues(state)));
}
