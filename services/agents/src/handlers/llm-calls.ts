import { NotFoundError, llmCallGet, llmCallList, llmCallSummary, usageHistory, usageSummary } from '@cadre/proto';
import type { AgentsContext } from '../context';
import { endpoint, ownerFilter, requireAccess, requireUser, type Call } from './call';

/** Usage is personal: the caller's user (an API key counts for its owner); the engine credential has none. */
const userOf = (call: Call): string => requireUser(call, 'personal usage needs a user credential (a session or an API key)');

/** A member's reads are narrowed to their own calls (a `user_id` they pass is replaced); an admin's are not. */
function scoped<R extends object>(request: R, call: Call): R & { user_id?: string } {
  const scope = ownerFilter(call);
  return scope.all ? request : { ...request, user_id: scope.owner };
}

export function llmCallHandlers(ctx: AgentsContext) {
  return [
    endpoint(llmCallList, (request, call) => ctx.llmCalls.list(scoped(request, call))),
    endpoint(llmCallSummary, (request, call) => ctx.llmCalls.summary(scoped(request, call))),
    endpoint(llmCallGet, async ({ id }, call) => {
      const view = await ctx.llmCalls.get(id);
      // Another user's call answers as one that does not exist.
      requireAccess(call, view.user_id ?? undefined, () => new NotFoundError(`no LLM call "${id}"`, { id }));
      return view;
    }),
    endpoint(usageSummary, ({ days }, call) => ctx.llmCalls.usage(userOf(call), days, ctx.clock())),
    endpoint(usageHistory, ({ days }, call) => ctx.llmCalls.history(userOf(call), days, ctx.clock())),
  ];
}
