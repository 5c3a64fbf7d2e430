import { providerKeys, providerList, providerUpdate } from '@cadre/proto';
import type { AgentsContext } from '../context';
import { endpoint, metaOf, requireAdmin } from './call';

export function providerHandlers(ctx: AgentsContext) {
  return [
    endpoint(providerList, async () => ({ providers: await ctx.providers.list() })),
    endpoint(providerUpdate, async (request, call) => {
      requireAdmin(call);
      return ctx.providers.update(request, metaOf(call));
    }),
    endpoint(providerKeys, async (_request, call) => {
      requireAdmin(call);
      return { keys: await ctx.providers.keys() };
    }),
  ];
}
