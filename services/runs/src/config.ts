import { z } from 'zod';
import { env, loadConfig } from '@cadre/config';
import { pipelinesConfigShape } from '@cadre/pipelines';

/** Environment variables of the runs service. */
export const runsConfigShape = {
  ...pipelinesConfigShape,
  RUNS_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,47}$/).default('runs').describe('Postgres schema of the service'),
  RUNS_LIST_PAGE_BYTES: env.int(1_000_000, 10_000).describe('A page of GET /v1/runs stops growing past this many bytes (with a cursor to the rest)'),
  RUNS_SWEEP_INTERVAL_MS: env.int(5_000, 50).describe('How often running steps are checked against their timeout'),
};

export type RunsConfig = Readonly<z.infer<z.ZodObject<typeof runsConfigShape>>>;

/** Parses the runs variables once; a bad one fails fast, named. */
export function loadRunsConfig(environment: Readonly<Record<string, string | undefined>> = process.env): RunsConfig {
  return loadConfig(runsConfigShape, environment);
}
