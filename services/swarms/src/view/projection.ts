import type { ProjectionDefinition } from '@cadre/eventstore';
import { loadSwarm } from '../command';
import type { SwarmsContext } from '../context';
import { swarmEventTypes } from '../swarm/events';
import type { SwarmsDatabase } from '../storage/database';
import { writeSwarmView } from './write';

/**
 * The swarm list as a projection of the swarm events. The replica that appends writes the row
 * before replying; this makes every row converge and covers a replica that died between its
 * append and that write. Order-free: a row carries its stream version and only a newer one
 * replaces it, so an event at or below the row's version changes nothing.
 */
export function swarmViewsProjection(ctx: Pick<SwarmsContext, 'schema' | 'store'>): ProjectionDefinition<SwarmsDatabase> {
  return {
    name: 'swarm_views',
    events: swarmEventTypes,
    orderFree: true,
    apply: async (event, trx) => {
      const swarmId = typeof event.data.swarm_id === 'string' ? event.data.swarm_id : undefined;
      if (swarmId === undefined) return;
      const state = await loadSwarm(ctx, swarmId);
      if (state.version < event.version) return;
      await writeSwarmView(trx.withSchema(ctx.schema), state);
    },
  };
}
