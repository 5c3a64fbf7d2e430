import type { RequestHandler } from '@cadre/bus';
import { swarmCancel, swarmExecute, swarmGet, swarmList, swarmRetry, swarmTasks } from '@cadre/proto';
import { endpoint, metaOf, ownerFilter } from '@cadre/runtime';
import { executeSwarm, requireSwarm } from '../command';
import type { SwarmsContext } from '../context';
import { presentSwarm, presentTasks } from '../view/present';
import { listSwarms } from '../view/queries';
import { launchSwarm } from './launch';

/** Commands and queries of swarms. */
export function swarmHandlers(ctx: SwarmsContext): ReadonlyArray<readonly [string, RequestHandler]> {
  return [
    endpoint(swarmExecute, (request, call) => launchSwarm(ctx, request, call)),
    endpoint(swarmGet, async ({ swarm_id }, call) => presentSwarm(await requireSwarm(ctx, swarm_id, call), ctx.clock())),
    endpoint(swarmTasks, async ({ swarm_id }, call) => ({ swarm_id, tasks: presentTasks(await requireSwarm(ctx, swarm_id, call)) })),
    endpoint(swarmList, (request, call) => {
      const scope = ownerFilter(call);
      return listSwarms(ctx.db, request, scope.all ? undefined : scope.owner);
    }),
    endpoint(swarmCancel, async ({ swarm_id, reason }, call) => {
      const { state } = await executeSwarm(ctx, swarm_id, { kind: 'cancel', reason }, metaOf(call), call);
      return presentSwarm(state, ctx.clock());
    }),
    endpoint(swarmRetry, async ({ swarm_id }, call) => {
      const { state } = await executeSwarm(ctx, swarm_id, { kind: 'retry' }, metaOf(call), call);
      return presentSwarm(state, ctx.clock());
    }),
  ];
}
