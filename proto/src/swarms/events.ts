import { z } from 'zod';
import { defineEvent } from '../define-event';

const TaskRef = { swarm_id: z.string().min(1), task_id: z.string().min(1), agent_id: z.string().optional() };

export const swarmTaskStarted = defineEvent({
  type: 'swarm_task_started', domain: 'swarms', version: 1, description: 'A task of a swarm started',
  data: z.object({ ...TaskRef }),
});

export const swarmTaskComplete = defineEvent({
  type: 'swarm_task_complete', domain: 'swarms', version: 1, description: 'A task of a swarm finished',
  data: z.object({ ...TaskRef, status: z.enum(['completed', 'failed', 'skipped', 'cancelled']), output: z.unknown().optional(), error: z.string().optional() }),
});

export const swarmEvents = [swarmTaskStarted, swarmTaskComplete] as const;
