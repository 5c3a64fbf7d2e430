import type { SwarmLaunch, SwarmLaunchRequest } from '@cadre/proto';
import { actorOf, metaOf, type Call } from '@cadre/runtime';
import { executeSwarm } from '../command';
import type { SwarmsContext } from '../context';
import { validateDag } from '../dag/validate';
import type { SwarmState } from '../swarm/state';
import { requireAgent } from './agent';

/** The answer to a launch. */
export function launchReply(state: SwarmState): SwarmLaunch {
  return {
    swarm_id: state.swarmId, status: state.status, total_tasks: state.tasks.length, max_concurrent: state.maxConcurrent,
    root_tasks: [...state.rootTasks], max_depth: state.maxDepth,
  };
}

/**
 * Launches a swarm: the graph is validated (duplicate keys, unknown or self dependencies, cycles:
 * a 400 naming each, and nothing is created), the agent must exist, then one append records the
 * swarm and starts its first tasks.
 */
export async function launchSwarm(ctx: SwarmsContext, request: SwarmLaunchRequest, call: Call, goal?: string): Promise<SwarmLaunch> {
  const shape = validateDag(request.tasks);
  const agent = await requireAgent(ctx, request.agent_id);
  const swarmId = ctx.newId();
  const { state } = await executeSwarm(ctx, swarmId, {
    kind: 'create', swarmId, agentId: request.agent_id, model: agent.model ?? ctx.config.SWARMS_DEFAULT_MODEL, tasks: request.tasks,
    maxConcurrent: request.max_concurrent, deviationRules: request.deviation_rules, globalTimeoutSeconds: request.global_timeout_seconds,
    rootTasks: shape.rootTasks, maxDepth: shape.maxDepth, createdBy: actorOf(call), ...(goal !== undefined ? { goal } : {}),
  }, metaOf(call));
  return launchReply(state);
}
