import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Bus } from '@cadre/bus';
import { CadreError, REQUEST_ID_HEADER, UnauthenticatedError, authenticate, type Principal } from '@cadre/proto';
import { call } from '@cadre/runtime';

/** A credential or a whole user that stopped being valid. */
export interface Revocation {
  readonly credentialId?: string;
  readonly userId?: string;
}

export interface Authenticator {
  /** The principal a bearer credential stands for; UnauthenticatedError when it stands for none. */
  authenticate(token: string, requestId: string): Promise<Principal>;
  /** Forgets cached principals of a revoked credential or user, and refuses them for a while. */
  revoke(revocation: Revocation): void;
  /** Forgets cached principals of a user whose rights changed (they are resolved afresh). */
  forgetUser(userId: string): void;
  /** True when the principal's credential or user was revoked recently. */
  isRevoked(principal: Principal): boolean;
}

export interface AuthenticatorOptions {
  readonly bus: Bus;
  readonly ttlMs: number;
  readonly max: number;
  readonly timeoutMs: number;
  readonly clock?: () => number;
}

const MAX_TOKEN = 4096;
/**
 * Revocations arrive through the event stream, a little after identity committed them. An
 * authenticate reply that left identity before the commit can land after the event: this
 * memory of recent revocations stops such a reply from being cached or used.
 */
const REVOCATION_MEMORY_MS = 60_000;

const tokenKey = (token: string): string => createHash('sha256').update(token).digest('base64url');
const credentialKey = (id: string): string => `credential:${id}`;
const userKey = (id: string): string => `user:${id}`;

/**
 * Resolves credentials through `identity.qry.authenticate`, with a small LRU cache of a few
 * seconds (keyed by a hash of the token, so the cache holds no secrets) and one query in
 * flight per token however many requests carry it.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const clock = options.clock ?? Date.now;
  const cache = new LRUCache<string, Principal>({ max: options.max, ttl: Math.max(1, options.ttlMs), ttlAutopurge: false });
  const inFlight = new Map<string, Promise<Principal>>();
  const revoked = new LRUCache<string, true>({ max: 100_000, ttl: REVOCATION_MEMORY_MS });

  const isRevoked = (principal: Principal): boolean =>
    revoked.has(credentialKey(principal.credential_id)) || (principal.user_id !== undefined && revoked.has(userKey(principal.user_id)));
  const isExpired = (principal: Principal): boolean => principal.expires_at !== undefined && principal.expires_at * 1000 <= clock();
  const usable = (principal: Principal): boolean => !isRevoked(principal) && !isExpired(principal);

  const evict = (stale: (principal: Principal) => boolean): void => {
    const keys: string[] = [];
    cache.forEach((principal, key) => {
      if (stale(principal)) keys.push(key);
    });
    for (const key of keys) cache.delete(key);
  };

  const resolve = async (key: string, token: string, requestId: string): Promise<Principal> => {
    let principal: Principal;
    try {
      principal = await call(options.bus, authenticate, { token }, { timeoutMs: options.timeoutMs, headers: { [REQUEST_ID_HEADER]: requestId } });
    } catch (error) {
      // A malformed token is invalid input to identity; to the caller it is just a bad credential.
      if (error instanceof CadreError && error.kind === 'validation_failed') throw new UnauthenticatedError('Invalid credential');
      throw error;
    }
    if (!usable(principal)) throw new UnauthenticatedError('Invalid credential');
    if (options.ttlMs > 0) {
      const untilExpiry = principal.expires_at === undefined ? options.ttlMs : principal.expires_at * 1000 - clock();
      cache.set(key, principal, { ttl: Math.max(1, Math.min(options.ttlMs, untilExpiry)) });
    }
    return principal;
  };

  return {
    async authenticate(token, requestId) {
      if (token.length === 0 || token.length > MAX_TOKEN) throw new UnauthenticatedError('Invalid credential');
      const key = tokenKey(token);
      const cached = cache.get(key);
      if (cached && usable(cached)) return cached;
      let pending = inFlight.get(key);
      if (!pending) {
        pending = resolve(key, token, requestId).finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      const principal = await pending;
      // Re-checked: a revocation may have arrived while the query was out.
      if (!usable(principal)) throw new UnauthenticatedError('Invalid credential');
      return principal;
    },

    revoke({ credentialId, userId }) {
      if (credentialId !== undefined) revoked.set(credentialKey(credentialId), true);
      if (userId !== undefined) revoked.set(userKey(userId), true);
      evict((principal) => principal.credential_id === credentialId || (userId !== undefined && principal.user_id === userId));
    },

    forgetUser(userId) {
      evict((principal) => principal.user_id === userId);
    },

    isRevoked,
  };
}
