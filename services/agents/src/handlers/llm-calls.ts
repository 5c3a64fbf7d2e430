import { llmCallGet, llmCallList, llmCallSummary, usageHistory, usageSummary } from '@cadre/proto';
import type { AgentsContext } from '../context';
import { endpoint } from './call';

export function llmCallHandlers(ctx: AgentsContext) {
  return [
    endpoint(llmCallList, (request) => ctx.llmCalls.list(request)),
    endpoint(llmCallSummary, (request) => ctx.llmCalls.summary(request)),
    endpoint(llmCallGet, ({ id }) => ctx.llmCalls.get(id)),
    endpoint(usageSummary, ({ days }) => ctx.llmCalls.usage(days, ctx.clock())),
    endpoint(usageHistory, ({ days }) => ctx.llmCalls.history(days, ctx.clock())),
  ];
}
