import { CompiledQuery } from 'kysely';
import type { ProjectionDefinition } from '@cadre/eventstore';
import { applyScoreEvent } from './rows';

/**
 * The counts behind the adaptive scores (and the gap log) as a projection of the retrieval and
 * valuation events. Each event is counted once by its id, whoever applies it first — the
 * replica that logged it, before replying, or this projection — so the order does not matter.
 */
export function scoresProjection(schema: string): ProjectionDefinition {
  return {
    name: 'memory_scores',
    events: ['memory_retrieved', 'memory_valued', 'memory_gap'],
    orderFree: true,
    apply: async (event, trx) => {
      await applyScoreEvent(
        async (text, values) => Number((await trx.executeQuery(CompiledQuery.raw(text, [...values]))).numAffectedRows ?? 0n),
        schema, event,
      );
    },
  };
}
