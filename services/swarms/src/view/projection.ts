import type { ProjectionDefinition } from '@cadre/eventstore';
import type { EventEnvelope } from '@cadre/proto';
import { loadSwarm } from '../command';
import type { SwarmsContext } from '../context';
import { swarmEventTypes } from '../swarm/events';
import type { SwarmsDatabase } from '../storage/database';
import { writeSwarmView } from './write';

/**
 * The swarm list as a projection of the swarm events. The replica that appends writes the row in
 * that append (swarmViewAlongside: they commit together) and passes over those events here; this
 * rebuilds the rows (a new read model, one made again) and brings those of an older writer up to
 * date. Order-free: a row carries its stream version and only a newer one
 * replaces it, so an event at or below the row's version changes nothing.
 */
const swarmIdOf = (event: EventEnvelope): string | undefined => (typeof event.data.swarm_id === 'string' ? event.data.swarm_id : undefined);

export function swarmViewsProjection(ctx: Pick<SwarmsContext, 'schema' | 'store' | 'writtenViews'>): ProjectionDefinition<SwarmsDatabase> {
  return {
    name: 'swarm_views',
    events: swarmEventTypes,
    orderFree: true,
    // The replica that appended an event wrote its row in that append: nothing to do here.
    alreadyApplied: (event) => {
      const swarmId = swarmIdOf(event);
      return swarmId !== undefined && (ctx.writtenViews.get(swarmId) ?? 0) >= event.version;
    },
    apply: async (event, trx) => {
      const swarmId = swarmIdOf(event);
      if (swarmId === undefined) return;
      const row = await trx.withSchema(ctx.schema).selectFrom('swarm_view').select('version').where('swarm_id', '=', swarmId).executeTakeFirst();
      if ((row?.version ?? 0) >= event.version) return;
      const state = await loadSwarm(ctx, swarmId);
      if (state.version < event.version) return;
      await writeSwarmView(trx, ctx.schema, state);
    },
  };
}
