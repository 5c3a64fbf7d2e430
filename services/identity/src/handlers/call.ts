import { ForbiddenError } from '@cadre/proto';
import { requirePrincipal, type Call } from '@cadre/runtime';

export { endpoint, callOf, requirePrincipal, requireAdmin, metaOf, type Call } from '@cadre/runtime';

/** A signed-in user (access token): credential changes need one, not an API key or the engine. */
export function requireSessionUser(call: Call): { readonly userId: string; readonly sessionId: string } {
  const principal = requirePrincipal(call);
  if (principal.kind !== 'user' || principal.user_id === undefined) throw new ForbiddenError('needs a signed-in user (not an API key or service credential)');
  return { userId: principal.user_id, sessionId: principal.credential_id };
}
