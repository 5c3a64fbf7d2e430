import { z } from 'zod';
import { defineEvent } from '../define-event';

/** A job that used up its attempts or was terminated; written by the bus itself. */
export const jobDeadLettered = defineEvent({
  type: 'job_dead_lettered', domain: 'bus', version: 1, description: 'A work-queue job gave up after its last attempt',
  data: z.object({ queue: z.string(), job_id: z.string(), attempts: z.number().int().nonnegative(), reason: z.string() }),
});

export const busEvents = [jobDeadLettered] as const;
