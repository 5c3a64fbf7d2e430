import { z } from 'zod';
import { defineCommand } from '@cadre/proto';

/**
 * The swarms service's execute command as the projects service sends it (issue 12, item 1): an
 * agent, tasks with keys and the keys they depend on, and a concurrency. Defined here until the
 * swarms service publishes its contract in proto; the subject is `swarms.cmd.execute`.
 */
export const swarmExecuteCommand = defineCommand({
  domain: 'swarms', name: 'execute', description: 'Launch a swarm of tasks along their dependencies',
  request: z.object({
    agent_id: z.string().min(1),
    tasks: z.array(z.object({
      key: z.string().min(1),
      title: z.string(),
      execution_prompt: z.string(),
      dependencies: z.array(z.string()),
      project_id: z.string(),
      task_id: z.string(),
    })).min(1).max(20),
    max_concurrent: z.number().int().min(1).max(8),
  }),
  reply: z.looseObject({ swarm_id: z.string() }),
});
