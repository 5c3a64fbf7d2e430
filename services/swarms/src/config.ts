import { z } from 'zod';
import { env, loadConfig } from '@cadre/config';

/** Environment variables of the swarms service. */
export const swarmsConfigShape = {
  SWARMS_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,47}$/).default('swarms').describe('Postgres schema of the service'),
  SWARMS_DEFAULT_MODEL: z.string().regex(/^[a-z0-9][a-z0-9_-]*\/.+$/, 'provider/model').default('dry-run/echo')
    .describe('Model of tasks when neither the task nor its agent names one'),
  SWARMS_RETRY_BASE_MS: env.int(2_000, 0).describe('First retry backoff of a failed task (doubles per retry, with jitter)'),
  SWARMS_RETRY_MAX_MS: env.int(60_000, 0).describe('Longest retry backoff'),
  SWARMS_SWEEP_INTERVAL_MS: env.int(1_000, 50).describe('How often swarms are checked for due retries and global timeouts (a safety net for the timers)'),
  SWARMS_PLAN_TIMEOUT_MS: env.int(9_000, 100).describe('How long POST /v1/swarm/plan waits for the planning run (keep it under the gateway\'s BUS_TIMEOUT_MS)'),
  SWARMS_ACK_WAIT_MS: env.int(10_000, 500).describe('How long a run result or task start held by a replica that died waits before another replica takes it'),
  SWARMS_TASK_TIMEOUT_SECONDS: env.int(300, 1).describe('Time limit of one task attempt when the task names none'),
};

export type SwarmsConfig = Readonly<z.infer<z.ZodObject<typeof swarmsConfigShape>>>;

/** Parses the swarms variables once; a bad one fails fast, named. */
export function loadSwarmsConfig(environment: Readonly<Record<string, string | undefined>> = process.env): SwarmsConfig {
  return loadConfig(swarmsConfigShape, environment);
}
