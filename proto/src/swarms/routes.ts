import { z } from 'zod';
import { defineRoute, type RouteDefinition } from '../http/route';
import { spawnExecute, spawnGet, swarmCancel, swarmExecute, swarmGet, swarmList, swarmPlan, swarmRetry, swarmTasks } from './swarms';

// Routes of the swarms service (seed 002: "Swarm Execution", "Spawn Executor"; plan then
// execute after seed 000's POST /api/plan). `{swarm_id}` fills the request field of that name.

const SwarmParam = z.object({ swarm_id: z.string().min(1).max(200) });

export const swarmRoutes: readonly RouteDefinition[] = [
  defineRoute({ method: 'post', path: '/v1/swarm/execute', operationId: 'executeSwarm', summary: 'Launch a swarm (a DAG of agent tasks)',
    tags: ['swarms'], access: 'user', body: swarmExecute.request, response: swarmExecute.reply, successStatus: 201, message: swarmExecute }),
  defineRoute({ method: 'post', path: '/v1/swarm/plan', operationId: 'planSwarm', summary: 'Plan a goal into a task graph, and optionally launch it',
    tags: ['swarms'], access: 'user', body: swarmPlan.request, response: swarmPlan.reply, successStatus: 201, message: swarmPlan }),
  defineRoute({ method: 'get', path: '/v1/swarms', operationId: 'listSwarms', summary: 'List swarms (?status, ?agent_id, paginated)',
    tags: ['swarms'], access: 'user', query: swarmList.request, response: swarmList.reply, successStatus: 200, message: swarmList }),
  defineRoute({ method: 'get', path: '/v1/swarm/{swarm_id}', operationId: 'getSwarm', summary: 'Get a swarm: state, progress, summary',
    tags: ['swarms'], access: 'user', params: SwarmParam, response: swarmGet.reply, successStatus: 200, message: swarmGet }),
  defineRoute({ method: 'get', path: '/v1/swarm/{swarm_id}/tasks', operationId: 'listSwarmTasks', summary: 'List the tasks of a swarm',
    tags: ['swarms'], access: 'user', params: SwarmParam, response: swarmTasks.reply, successStatus: 200, message: swarmTasks }),
  defineRoute({ method: 'post', path: '/v1/swarm/{swarm_id}/cancel', operationId: 'cancelSwarm', summary: 'Cancel a swarm',
    tags: ['swarms'], access: 'user', params: SwarmParam, body: swarmCancel.request.omit({ swarm_id: true }), response: swarmCancel.reply, successStatus: 200, message: swarmCancel }),
  defineRoute({ method: 'post', path: '/v1/swarm/{swarm_id}/retry', operationId: 'retrySwarm', summary: 'Run the failed, skipped and cancelled tasks of a finished swarm again',
    tags: ['swarms'], access: 'user', params: SwarmParam, body: swarmRetry.request.omit({ swarm_id: true }), response: swarmRetry.reply, successStatus: 200, message: swarmRetry }),
  defineRoute({ method: 'post', path: '/v1/spawn-executor/execute', operationId: 'spawnExecutor', summary: 'Spawn a one-off agent execution',
    tags: ['swarms'], access: 'user', body: spawnExecute.request, response: spawnExecute.reply, successStatus: 201, message: spawnExecute }),
  defineRoute({ method: 'get', path: '/v1/spawn-executor/{id}', operationId: 'getSpawnExecution', summary: 'Get a spawned execution\'s status',
    tags: ['swarms'], access: 'user', params: spawnGet.request, response: spawnGet.reply, successStatus: 200, message: spawnGet }),
];
