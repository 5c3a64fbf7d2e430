import { z } from 'zod';
import { defineEvent } from '../define-event';

// Events of agent definitions and provider settings, kept by the agents service. The run-scoped
// agent events (agent_output, tool_call_*, llm_call) are in ./runs.

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
  description: 'A model provider was configured; the key travels encrypted (AES-256-GCM) and masked',
  data: z.object({
    provider_id: z.string().min(1),
    kind: z.enum(['openai', 'anthropic', 'dry-run']).optional(),
    base_url: z.string().nullable().optional(),
    /** `v1:<iv>:<tag>:<ciphertext>` (base64); null removes the key. */
    api_key_encrypted: z.string().nullable().optional(),
    api_key_masked: z.string().nullable().optional(),
    enabled: z.boolean().optional(),
  }),
});

export const agentEvents = [agentConfigUpdated, agentToolOverrideSet, agentToolOverrideRemoved, providerSettingsUpdated] as const;
