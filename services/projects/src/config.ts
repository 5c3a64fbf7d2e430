import { z } from 'zod';
import { env, loadConfig } from '@cadre/config';

/** Environment variables of the projects service. */
export const projectsConfigShape = {
  PROJECTS_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,47}$/).default('projects').describe('Postgres schema of the service'),
  PROJECTS_CLAIM_SWEEP_MS: env.int(5_000, 50).describe('How often claims past their expiry are released (task_claim_released, reason expired)'),
  PROJECTS_RUNS_TIMEOUT_MS: env.int(10_000, 100).describe('Longest wait for the runs (and swarms) service when a task is started from the board'),
};

export type ProjectsConfig = Readonly<z.infer<z.ZodObject<typeof projectsConfigShape>>>;

/** Parses the projects variables once; a bad one fails fast, named. */
export function loadProjectsConfig(environment: Readonly<Record<string, string | undefined>> = process.env): ProjectsConfig {
  return loadConfig(projectsConfigShape, environment);
}
