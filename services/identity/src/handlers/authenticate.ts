import { LRUCache } from 'lru-cache';
import type { RequestHandler } from '@cadre/bus';
import { UnauthenticatedError, authenticate, parseOrThrow, type Principal } from '@cadre/proto';
import type { IdentityContext } from '../context';
import { constantTimeEqual, sha256Hex } from '../crypto/secrets';
import { API_KEY_PREFIX } from './api-keys';

const ENGINE: Principal = { kind: 'service', role: 'admin', credential_id: 'engine' };
/** Who a call is when AUTH_ENABLED=false and it carries no valid credential. */
const AUTH_DISABLED: Principal = { kind: 'service', role: 'admin', credential_id: 'auth-disabled' };
const TOUCH_EVERY_MS = 60_000;

/**
 * `identity.qry.authenticate`, on the gateway's path of every request, so it does no database
 * work in the common case: the JWT is checked locally and the session, user and key states
 * come from this replica's view. Only a credential the view has not seen yet (issued a moment
 * ago on another replica) costs a catch-up read.
 */
export function authenticateHandler(ctx: IdentityContext): readonly [string, RequestHandler] {
  // Key hash → key id; the hash row never changes, so caching it is safe (revocation is in the view).
  const keyIds = new LRUCache<string, string>({ max: 10_000 });
  // Hashes of strings that are no key, so garbage bearer tokens do not each cost a query.
  const unknownKeys = new LRUCache<string, true>({ max: 10_000, ttl: 60_000 });
  const touched = new LRUCache<string, number>({ max: 10_000 });
  const engineToken = ctx.config.ENGINE_INTERNAL_TOKEN;

  const user = async (userId: string) => {
    const found = await ctx.reader.user(userId);
    if (!found) throw new UnauthenticatedError('user no longer exists');
    return found;
  };

  const fromAccessToken = async (token: string): Promise<Principal> => {
    const claims = await ctx.signer.verifyAccess(token);
    const session = await ctx.reader.session(claims.sid);
    if (!session || session.revoked || session.userId !== claims.sub) throw new UnauthenticatedError('session ended');
    const owner = await user(claims.sub);
    // The current role, not the one in the token: a demotion counts at once.
    return { kind: 'user', user_id: owner.id, role: owner.role, credential_id: session.id, expires_at: claims.exp };
  };

  const fromApiKey = async (token: string): Promise<Principal> => {
    const hash = sha256Hex(token);
    let keyId = keyIds.get(hash);
    if (keyId === undefined) {
      if (unknownKeys.has(hash)) throw new UnauthenticatedError('invalid api key');
      keyId = await ctx.tokens.apiKeyId(hash);
      if (keyId === undefined) {
        unknownKeys.set(hash, true);
        throw new UnauthenticatedError('invalid api key');
      }
      keyIds.set(hash, keyId);
    }
    const key = await ctx.reader.apiKey(keyId);
    if (!key || key.revoked) throw new UnauthenticatedError('api key revoked');
    const now = ctx.clock().getTime();
    const expiresAt = key.expiresAt === null ? undefined : Date.parse(key.expiresAt);
    if (expiresAt !== undefined && expiresAt <= now) throw new UnauthenticatedError('api key expired');
    const owner = await user(key.userId);
    touch(key.id, now);
    return {
      kind: 'api_key', user_id: owner.id, role: owner.role, credential_id: key.id,
      ...(expiresAt !== undefined ? { expires_at: Math.floor(expiresAt / 1000) } : {}),
    };
  };

  // last_used_at is bookkeeping, not a fact worth an event: written at most once a minute per key.
  const touch = (keyId: string, now: number): void => {
    if (now - (touched.get(keyId) ?? 0) < TOUCH_EVERY_MS) return;
    touched.set(keyId, now);
    ctx.tokens.touchApiKey(keyId, new Date(now)).catch((err: unknown) => ctx.logger.warn({ err }, 'could not record api key use'));
  };

  const resolve = (token: string): Promise<Principal> => {
    if (engineToken !== undefined && constantTimeEqual(token, engineToken)) return Promise.resolve(ENGINE);
    if (token.startsWith(API_KEY_PREFIX)) return fromApiKey(token);
    return fromAccessToken(token);
  };

  return [authenticate.subject, async (payload) => {
    const { token } = parseOrThrow(authenticate.request, payload);
    if (ctx.config.AUTH_ENABLED) return resolve(token);
    return resolve(token).catch((error: unknown) => {
      if (error instanceof UnauthenticatedError) return AUTH_DISABLED;
      throw error;
    });
  }];
}
