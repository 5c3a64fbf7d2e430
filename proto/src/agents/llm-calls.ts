import { z } from 'zod';
import { defineQuery } from '../messages';
import { LlmCallView, UsageTotals } from './schemas';

const Limit = z.coerce.number().int().min(1).max(500).default(50);
const Offset = z.coerce.number().int().min(0).default(0);

/** Model calls, newest first, filtered and paginated (offset). */
export const llmCallList = defineQuery({
  domain: 'agents', name: 'llm_calls', description: 'List model calls',
  request: z.object({
    agent_id: z.string().optional(), run_id: z.string().optional(), step_id: z.string().optional(), provider: z.string().optional(),
    user_id: z.string().optional(),
    limit: Limit, offset: Offset,
  }),
  reply: z.object({
    calls: z.array(LlmCallView), total: z.number().int().nonnegative(), limit: z.number(), offset: z.number(),
    next_offset: z.number().int().nullable(),
  }),
});

/** Token and cost totals, overall and by provider, model and agent. */
export const llmCallSummary = defineQuery({
  domain: 'agents', name: 'llm_call_summary', description: 'Totals of model calls',
  request: z.object({ agent_id: z.string().optional(), run_id: z.string().optional(), provider: z.string().optional() }),
  reply: z.object({
    totals: UsageTotals,
    by_provider: z.array(UsageTotals.extend({ provider: z.string() })),
    by_model: z.array(UsageTotals.extend({ provider: z.string(), model: z.string() })),
    by_agent: z.array(UsageTotals.extend({ agent_id: z.string().nullable() })),
  }),
});

/** One model call. */
export const llmCallGet = defineQuery({
  domain: 'agents', name: 'llm_call', description: 'Get a model call',
  request: z.object({ id: z.string().min(1).max(100) }), reply: LlmCallView,
});

/** The caller's own usage (calls, tokens, cost) over a period: the model calls of the runs they created. */
export const usageSummary = defineQuery({
  domain: 'agents', name: 'usage', description: 'Personal usage summary',
  request: z.object({ days: z.coerce.number().int().min(1).max(3650).default(30) }),
  reply: z.object({
    user_id: z.string(), since: z.string(), totals: UsageTotals,
    by_provider: z.array(UsageTotals.extend({ provider: z.string() })),
    by_model: z.array(UsageTotals.extend({ provider: z.string(), model: z.string() })),
  }),
});

/** The caller's own usage per day, oldest first. */
export const usageHistory = defineQuery({
  domain: 'agents', name: 'usage_history', description: 'Personal usage per day',
  request: z.object({ days: z.coerce.number().int().min(1).max(3650).default(30) }),
  reply: z.object({ user_id: z.string(), days: z.array(UsageTotals.extend({ day: z.string().describe('YYYY-MM-DD (UTC)') })) }),
});
