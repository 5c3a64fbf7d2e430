import { ForbiddenError, llmCallGet, llmCallList, llmCallSummary, usageHistory, usageSummary } from '@cadre/proto';
import type { AgentsContext } from '../context';
import { endpoint, requirePrincipal, type Call } from './call';

/** Usage is personal: the caller's user (an API key counts for its owner); the engine credential has none. */
function userOf(call: Call): string {
  const principal = requirePrincipal(call);
  if (principal.user_id === undefined) throw new ForbiddenError('personal usage needs a user credential (a session or an API key)');
  return principal.user_id;
}

export function llmCallHandlers(ctx: AgentsContext) {
  return [
    endpoint(llmCallList, (request) => ctx.llmCalls.list(request)),
    endpoint(llmCallSummary, (request) => ctx.llmCalls.summary(request)),
    endpoint(llmCallGet, ({ id }) => ctx.llmCalls.get(id)),
    endpoint(usageSummary, ({ days }, call) => ctx.llmCalls.usage(userOf(call), days, ctx.clock())),
    endpoint(usageHistory, ({ days }, call) => ctx.llmCalls.history(userOf(call), days, ctx.clock())),
  ];
}
