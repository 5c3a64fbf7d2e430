import { CompiledQuery } from 'kysely';
import type { ProjectionDefinition } from '@cadre/eventstore';
import { writeMemoryEvent } from './rows';

/**
 * The `memories` table as a projection of the memory events on the bus: the replica that
 * appends an event writes its row before replying (read-your-writes); the projection makes
 * every event land even when that replica died between its append and its write. Rows carry
 * their stream version, so the order events come in does not matter.
 */
export function memoriesProjection(schema: string): ProjectionDefinition {
  return {
    name: 'memories',
    events: ['memory_saved', 'memory_updated', 'memory_deleted'],
    orderFree: true,
    apply: async (event, trx) => {
      await writeMemoryEvent(
        async (text, values) => Number((await trx.executeQuery(CompiledQuery.raw(text, [...values]))).numAffectedRows ?? 0n),
        schema, event,
      );
    },
  };
}
