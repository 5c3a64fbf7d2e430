import { providerKeys, providerList, providerUpdate } from '@cadre/proto';
import type { AgentsContext } from '../context';
import { endpoint, metaOf, requireAdmin } from './call';

export function providerHandlers(ctx: AgentsContext) {
  return [
    // Members learn which providers there are and whether they are on; where they point and
    // which key they use is for admins.
    endpoint(providerList, async (_request, call) => {
      const providers = await ctx.providers.list();
      if (call.principal?.role === 'admin') return { providers };
      return { providers: providers.map(({ id, kind, enabled, api_key_set, source }) => ({ id, kind, enabled, api_key_set, source })) };
    }),
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
