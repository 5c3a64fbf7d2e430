import { z } from 'zod';
import { defineEvent } from '../define-event';

// The live activity feed: short lines about what is happening, written by the agents as they
// work and by the runs service as a run moves on. Its own domain, so a deployment declares its
// visibility apart from the events of either.

export const activity = defineEvent({
  type: 'activity', domain: 'activity', version: 1, description: 'A line of the live activity feed',
  data: z.object({
    kind: z.string(), message: z.string(),
    run_id: z.string().optional(), agent_id: z.string().optional(), swarm_id: z.string().optional(),
    // Added (optional, version 1 data stays valid): the step a line is about.
    step_id: z.string().optional(),
  }),
});

export const activityEvents = [activity] as const;
