import { z } from 'zod';
import { defineEvent } from '../define-event';

// Events of the agents domain: what an agent does while it works on a step (streamed text and
// reasoning, tool calls, model calls; each names its run), and the agent definitions and
// provider settings the agents service keeps.

// The step an event is about, named as the runs events name it.
const StepRef = {
  run_id: z.string().min(1).describe('Run id'), step_id: z.string().min(1).describe('Step id within the pipeline'), agent_id: z.string().optional(),
  swarm_id: z.string().optional().describe('Added: the swarm whose task the run does'),
};

export const agentOutput = defineEvent({
  type: 'agent_output', domain: 'agents', version: 1, description: 'A streamed chunk of an agent\'s text (ephemeral)',
  data: z.object({ ...StepRef, chunk: z.string() }),
});

export const agentThinking = defineEvent({
  type: 'agent_thinking', domain: 'agents', version: 1, description: 'A streamed chunk of an agent\'s reasoning (ephemeral)',
  data: z.object({ ...StepRef, chunk: z.string() }),
});

export const toolCallStart = defineEvent({
  type: 'tool_call_start', domain: 'agents', version: 1, description: 'An agent called a tool',
  data: z.object({ ...StepRef, tool_name: z.string(), tool_call_id: z.string(), args: z.unknown() }),
});

export const toolCallEnd = defineEvent({
  type: 'tool_call_end', domain: 'agents', version: 1, description: 'A tool call returned',
  data: z.object({
    ...StepRef, tool_name: z.string(), tool_call_id: z.string(), result: z.unknown(),
    is_error: z.boolean().default(false), duration_ms: z.number().nonnegative(),
  }),
});

export const llmCall = defineEvent({
  type: 'llm_call', domain: 'agents', version: 1, description: 'One model API call: tokens, cost, duration',
  data: z.object({
    id: z.string(),
    run_id: z.string().optional(),
    step_id: z.string().optional(),
    agent_id: z.string().optional(),
    // Added (optional, version 1 data stays valid): the user whose run made the call, for personal usage.
    user_id: z.string().optional(),
    swarm_id: z.string().optional().describe('Added: the swarm whose task the run does'),
    provider: z.string(),
    model: z.string(),
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    cost_usd: z.number().nonnegative(),
    duration_ms: z.number().nonnegative(),
    stop_reason: z.string().optional(),
  }),
});


const Limits = z.object({
  max_turns: z.number().int().positive().optional(),
  timeout_seconds: z.number().positive().optional(),
  max_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
});

export const agentConfigUpdated = defineEvent({
  type: 'agent_config_updated', domain: 'agents', version: 1, description: 'An agent\'s configuration was changed through the API',
  data: z.object({
    agent_id: z.string().min(1),
    name: z.string().optional(),
    description: z.string().optional(),
    persona: z.string().optional(),
    /** null goes back to the step's model. */
    model: z.string().nullable().optional(),
    tools: z.array(z.string()).optional(),
    limits: Limits.optional(),
  }),
});

export const agentToolOverrideSet = defineEvent({
  type: 'agent_tool_override_set', domain: 'agents', version: 1, description: 'A tool was turned on or off for an agent',
  data: z.object({ agent_id: z.string().min(1), tool: z.string().min(1), enabled: z.boolean() }),
});

export const agentToolOverrideRemoved = defineEvent({
  type: 'agent_tool_override_removed', domain: 'agents', version: 1, description: 'A tool override was removed',
  data: z.object({ agent_id: z.string().min(1), tool: z.string().min(1) }),
});

export const providerSettingsUpdated = defineEvent({
  type: 'provider_settings_updated', domain: 'agents', version: 1,
  description: 'A model provider was configured (admins only on the stream); its key is never in the event',
  data: z.object({
    provider_id: z.string().min(1),
    kind: z.enum(['openai', 'anthropic', 'dry-run']).optional(),
    base_url: z.string().nullable().optional(),
    /** The key, sealed (AES-256-GCM), is kept in the service's own table under this reference; null removes the key. */
    api_key_ref: z.string().nullable().optional(),
    /** Only in events of releases before the reference: the sealed key itself. Never written now. */
    api_key_encrypted: z.string().nullable().optional(),
    api_key_masked: z.string().nullable().optional(),
    enabled: z.boolean().optional(),
  }),
});

/** What an agent writes while it works on a step, on the run's scope. */
export const agentStepEvents = [agentOutput, agentThinking, toolCallStart, toolCallEnd, llmCall] as const;

/** Changes to agent definitions and provider settings. */
export const agentSettingsEvents = [agentConfigUpdated, agentToolOverrideSet, agentToolOverrideRemoved, providerSettingsUpdated] as const;

/** Every event of the agents domain. */
export const agentEvents = [...agentStepEvents, ...agentSettingsEvents] as const;
