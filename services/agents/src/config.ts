import { z } from 'zod';
import { env, loadConfig } from '@cadre/config';
import { llmSettingsFromEnv, type LlmSettings } from '@cadre/llm';

/** Environment variables of the agents service (the model providers' are read by @cadre/llm). */
export const agentsConfigShape = {
  AGENTS_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,47}$/).default('agents').describe('Postgres schema of the service'),
  CADRE_AGENTS_DIR: z.string().min(1).optional().describe('Folder of agent definitions (YAML or JSON), besides the built-in ones'),
  CADRE_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional()
    .describe('Key that encrypts provider API keys at rest; when unset one is generated and kept in the agents schema'),
  AGENTS_EXECUTOR_ENABLED: env.boolean(true).describe('Run the agent executor in this replica'),
  AGENTS_CONCURRENCY: env.int(8, 1).describe('Step jobs one replica runs at once'),
  AGENTS_JOB_ACK_WAIT_MS: env.int(30_000, 1000).describe('A job without a heartbeat for this long goes to another worker'),
  AGENTS_JOB_MAX_ATTEMPTS: env.int(5, 1).describe('Deliveries of a step job before it is dead-lettered'),
  AGENTS_OUTPUT_FLUSH_MS: env.int(50, 0).describe('Streamed text is published in batches at most this often'),
  AGENTS_ACTIVITY_LINGER_MS: env.int(50, 0)
    .describe("An agent's opening line of a step waits this long for the step's next event, to be stored with it in one commit"),
  AGENTS_REPORT_TIMEOUT_MS: env.int(15_000, 100).describe('How long a report to the runs service may take'),
};

/** The agents service's configuration, with the model providers' settings from the same environment. */
export type AgentsConfig = Readonly<z.infer<z.ZodObject<typeof agentsConfigShape>>> & { readonly llm: LlmSettings };

/** Parses the agents variables (and the providers') once; a bad one fails fast, named. */
export function loadAgentsConfig(environment: Readonly<Record<string, string | undefined>> = process.env): AgentsConfig {
  return { ...loadConfig(agentsConfigShape, environment), llm: llmSettingsFromEnv(environment) };
}
