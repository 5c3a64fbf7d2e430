import type { RequestHandler } from '@cadre/bus';
import { NotFoundError, ValidationError, apiKeyCreate, apiKeyList, apiKeyRevoke } from '@cadre/proto';
import { apiKeyDecider } from '../api-key/decider';
import { execute } from '../command';
import type { IdentityContext } from '../context';
import { randomAlphanumeric, randomToken, sha256Hex } from '../crypto/secrets';
import { streams } from '../events';
import { endpoint, metaOf, requirePrincipal, requireSessionUser } from './call';
import { confirmIdentity } from './confirm';
import { presentApiKey } from './present';

/** Every API key starts with this; what follows is `<prefix>_<secret>`. */
export const API_KEY_PREFIX = 'cadre_';

const DAY_MS = 24 * 3600 * 1000;

/** Every key expires: the default lifetime when none is asked, never beyond the maximum. */
function expiryOf(
  request: { expires_at?: string | undefined; expires_in_days?: number | undefined }, now: Date, limits: { defaultDays: number; maxDays: number },
): Date {
  const latest = now.getTime() + limits.maxDays * DAY_MS;
  const tooLate = (path: string) => new ValidationError(`an API key lives at most ${limits.maxDays} days`, [{ path, message: `more than ${limits.maxDays} days away` }]);
  if (request.expires_in_days !== undefined) {
    if (request.expires_in_days > limits.maxDays) throw tooLate('expires_in_days');
    return new Date(now.getTime() + request.expires_in_days * DAY_MS);
  }
  if (request.expires_at === undefined) return new Date(now.getTime() + Math.min(limits.defaultDays, limits.maxDays) * DAY_MS);
  const at = new Date(request.expires_at);
  if (at.getTime() <= now.getTime()) throw new ValidationError('expires_at must be in the future', [{ path: 'expires_at', message: 'in the past' }]);
  if (at.getTime() > latest) throw tooLate('expires_at');
  return at;
}

/** Creating, listing and revoking API keys. */
export function apiKeyHandlers(ctx: IdentityContext): ReadonlyArray<readonly [string, RequestHandler]> {
  return [
    endpoint(apiKeyCreate, async (request, call) => {
      const { userId, sessionId } = requireSessionUser(call);
      const user = await ctx.reader.user(userId);
      if (!user) throw new NotFoundError('no such user');
      const now = ctx.clock();
      const expiresAt = expiryOf(request, now, { defaultDays: ctx.config.API_KEY_DEFAULT_DAYS, maxDays: ctx.config.API_KEY_MAX_DAYS });
      await confirmIdentity(ctx, call, user, sessionId, request.password);
      const keyId = ctx.newId();
      const prefix = `${API_KEY_PREFIX}${randomAlphanumeric(8)}`;
      const key = `${prefix}_${randomToken(32)}`;
      // The hash row first: a key whose event never lands is never found (and is removed).
      await ctx.tokens.saveApiKeyHash(keyId, userId, sha256Hex(key));
      try {
        await execute(ctx, { stream: streams.apiKey(keyId), scope: userId, meta: metaOf(call) }, apiKeyDecider, {
          kind: 'create', keyId, userId, name: request.name, prefix, expiresAt, eventId: ctx.newId(), now,
        });
      } catch (error) {
        await ctx.tokens.forgetApiKey(keyId).catch(() => undefined);
        throw error;
      }
      return { id: keyId, name: request.name, prefix, key, created_at: now.toISOString(), expires_at: expiresAt.toISOString() };
    }),

    endpoint(apiKeyList, async (_request, call) => {
      const principal = requirePrincipal(call);
      if (principal.user_id === undefined) return { api_keys: [] };
      const keys = ctx.view.apiKeysOf(principal.user_id);
      const lastUsed = await ctx.tokens.lastUsed(keys.map((k) => k.id));
      return { api_keys: keys.map((k) => presentApiKey(k, lastUsed.get(k.id))) };
    }),

    endpoint(apiKeyRevoke, async (request, call) => {
      const principal = requirePrincipal(call);
      const key = await ctx.reader.apiKey(request.id);
      if (!key) throw new NotFoundError('no such api key');
      await execute(ctx, { stream: streams.apiKey(request.id), scope: key.userId, meta: metaOf(call) }, apiKeyDecider, {
        kind: 'revoke', keyId: request.id, actor: { userId: principal.user_id, admin: principal.role === 'admin' }, eventId: ctx.newId(), now: ctx.clock(),
      });
      return {};
    }),
  ];
}
