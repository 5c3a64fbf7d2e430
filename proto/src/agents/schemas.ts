import { z } from 'zod';

/** An agent id as pipelines name them (slug). */
export const AgentId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, - or _ (at most 64)');
/** A tool name as models see it. */
export const ToolName = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'letters, digits, _ or - (at most 64)');
/** A provider id, the prefix of `provider/model`. */
export const ProviderId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, _ or -');
const Timestamp = z.iso.datetime({ offset: true });

/** Budgets of an agent's steps; a step's own limits take precedence over these defaults. */
export const AgentLimits = z.object({
  max_turns: z.number().int().positive().max(1000).optional(),
  timeout_seconds: z.number().positive().max(86_400).optional(),
  max_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
});
export type AgentLimits = z.infer<typeof AgentLimits>;

/** An agent as the API shows it: its file definition with the API's overrides applied. */
export const AgentView = z.object({
  id: AgentId,
  name: z.string(),
  description: z.string().optional(),
  persona: z.string().describe('System prompt'),
  model: z.string().optional().describe('provider/model; the step\'s model when absent'),
  tools: z.array(z.string()),
  limits: AgentLimits,
  source: z.enum(['builtin', 'file', 'api']),
  /** Pipelines that use the agent. */
  pipelines: z.array(z.string()),
  overridden: z.boolean().describe('True when the API changed the file definition'),
  updated_at: Timestamp.optional(),
});
export type AgentView = z.infer<typeof AgentView>;

/** One step an agent worked on, as seen from its model calls. */
export const AgentRunView = z.object({
  run_id: z.string(),
  step_id: z.string().optional(),
  llm_calls: z.number().int().nonnegative(),
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  cost_usd: z.number().nonnegative(),
  first_call_at: Timestamp,
  last_call_at: Timestamp,
});

/** A tool and whether the agent may call it. */
export const AgentToolView = z.object({
  name: z.string(),
  description: z.string().optional(),
  enabled: z.boolean(),
  /** `definition`: from the agent's definition; `override`: set through the API. */
  source: z.enum(['definition', 'override', 'available']),
  registered: z.boolean().describe('False when no tool of this name is installed'),
});

/** One model call of the log. */
export const LlmCallView = z.object({
  id: z.string(),
  run_id: z.string().nullable(),
  step_id: z.string().nullable(),
  agent_id: z.string().nullable(),
  user_id: z.string().nullable().describe('The user whose run made the call (null for runs no user created)'),
  provider: z.string(),
  model: z.string(),
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
  cost_usd: z.number().nonnegative(),
  duration_ms: z.number().nonnegative(),
  stop_reason: z.string().nullable(),
  created_at: Timestamp,
});
export type LlmCallView = z.infer<typeof LlmCallView>;

/** Token and cost totals of a group of calls. */
export const UsageTotals = z.object({
  calls: z.number().int().nonnegative(),
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
  cost_usd: z.number().nonnegative(),
});

/** A configured provider; the key is never shown whole. */
export const ProviderView = z.object({
  id: ProviderId,
  kind: z.enum(['openai', 'anthropic', 'dry-run']),
  base_url: z.string().optional(),
  enabled: z.boolean(),
  api_key_set: z.boolean(),
  api_key_masked: z.string().optional(),
  /** Where the configuration comes from: the environment, the API, or both (API over env). */
  source: z.enum(['env', 'api', 'env+api']),
  updated_at: Timestamp.optional(),
});
export type ProviderView = z.infer<typeof ProviderView>;

export const Empty = z.object({});
