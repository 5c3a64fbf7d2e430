import { parseOrThrow, ValidationError } from '@cadre/proto';
import { z } from 'zod';
import type { LlmRequest } from './types';

const PROVIDER_ID = /^[a-z0-9][a-z0-9_-]*$/;

/** A model name split into its provider and the provider's own model name. */
export interface ModelName {
  readonly provider: string;
  readonly model: string;
}

/**
 * Splits `provider/model` at the first slash (`openrouter/meta-llama/llama-3` keeps the rest
 * whole). Throws a ValidationError naming the field when the name has no provider or model.
 */
export function parseModelName(name: string, field = 'model'): ModelName {
  const slash = name.indexOf('/');
  const provider = slash < 0 ? '' : name.slice(0, slash);
  const model = slash < 0 ? '' : name.slice(slash + 1);
  if (!PROVIDER_ID.test(provider) || model.trim() === '') {
    throw new ValidationError(`model "${name}" is not of the form provider/model (e.g. openai/gpt-4o-mini)`, [
      { path: field, message: 'expected provider/model' },
    ]);
  }
  return { provider, model };
}

const toolCallSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  args: z.record(z.string(), z.unknown()),
  argsError: z.string().optional(),
  rawArgs: z.string().optional(),
});

const messageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({
    role: z.literal('assistant'),
    content: z.string(),
    toolCalls: z.array(toolCallSchema).optional(),
    thinking: z.array(z.object({ text: z.string(), signature: z.string().optional(), redactedData: z.string().optional() })).optional(),
  }),
  z.object({
    role: z.literal('tool'),
    toolCallId: z.string().min(1),
    toolName: z.string().optional(),
    content: z.string(),
    isError: z.boolean().optional(),
  }),
]);

const toolNameSchema = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'tool names are 1-64 letters, digits, _ or -');

/** The schema of an LlmRequest, checked where a request enters the library (the registry). */
export const llmRequestSchema: z.ZodType<LlmRequest> = z.object({
  model: z.string().min(1),
  system: z.string().optional(),
  messages: z.array(messageSchema),
  tools: z
    .array(z.object({ name: toolNameSchema, description: z.string().optional(), parameters: z.record(z.string(), z.unknown()) }))
    .optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().optional(),
  thinkingBudget: z.number().int().positive().optional(),
  stopSequences: z.array(z.string().min(1)).optional(),
});

/** Validates a request, throwing a ValidationError that names each bad field. */
export function validateRequest(request: unknown): LlmRequest {
  return parseOrThrow(llmRequestSchema, request, 'llm request');
}
