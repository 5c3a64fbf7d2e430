import { agentGet, NotFoundError, ValidationError, type AgentView } from '@cadre/proto';
import { call } from '@cadre/runtime';
import type { SwarmsContext } from '../context';

/** The agent a swarm or spawn names; an unknown one is a 400 naming the field. */
export async function requireAgent(ctx: Pick<SwarmsContext, 'bus'>, agentId: string): Promise<AgentView> {
  try {
    return await call(ctx.bus, agentGet, { id: agentId });
  } catch (error) {
    if (error instanceof NotFoundError) throw new ValidationError(`no agent '${agentId}'`, [{ path: 'agent_id', message: `no agent '${agentId}'` }]);
    throw error;
  }
}
