import { UnauthenticatedError, type TokenPair } from '@cadre/proto';
import { execute } from '../command';
import type { IdentityContext } from '../context';
import { randomToken, sha256Hex } from '../crypto/secrets';
import { openWith, sealWith } from '../crypto/seal';
import { streams } from '../events';
import type { SessionCommand } from '../session/decide';
import { sessionDecider } from '../session/decider';
import { apiKeyDecider } from '../api-key/decider';
import type { UserRecord } from '../view/view';
import { metaOf, type Call } from './call';
import { presentUser } from './present';

/** Refresh tokens are opaque: 256 random bits, found again by their SHA-256. */
const newRefreshToken = (): string => `cadre_rt_${randomToken(32)}`;

async function tokenPair(ctx: IdentityContext, user: UserRecord, sessionId: string, refreshToken: string): Promise<TokenPair> {
  const ttl = ctx.config.ACCESS_TOKEN_TTL_SECONDS;
  const accessToken = await ctx.signer.signAccess({ sub: user.id, role: user.role, sid: sessionId, jti: ctx.newId() }, ttl);
  return { access_token: accessToken, refresh_token: refreshToken, token_type: 'bearer', expires_in: ttl, user: presentUser(ctx.view, user) };
}

/**
 * Writes the refresh token's hash under the id of the event that will issue it, then runs the
 * session command; when nothing was appended with that id the hash row is removed again.
 */
async function withRefreshToken<R>(
  ctx: IdentityContext, sessionId: string, eventId: string, run: (refreshToken: string) => Promise<R>,
): Promise<R> {
  const refreshToken = newRefreshToken();
  await ctx.tokens.saveRefreshToken(eventId, sessionId, sha256Hex(refreshToken));
  try {
    return await run(refreshToken);
  } catch (error) {
    await ctx.credentials.forgetEvent(eventId).catch((err: unknown) => ctx.logger.warn({ err }, 'could not drop unused refresh token'));
    throw error;
  }
}

/** Starts a session for a user whose credentials were checked, and returns its tokens. */
export async function startSession(
  ctx: IdentityContext, user: UserRecord, method: Extract<SessionCommand, { kind: 'start' }>['method'], call: Call,
): Promise<TokenPair> {
  const sessionId = ctx.newId();
  const eventId = ctx.newId();
  return withRefreshToken(ctx, sessionId, eventId, async (refreshToken) => {
    const now = ctx.clock();
    const expiresAt = new Date(now.getTime() + ctx.config.REFRESH_TOKEN_TTL_SECONDS * 1000);
    // Sign-ins come without a principal: the user signing in is the actor.
    const meta = { ...metaOf(call), actor: `user:${user.id}` };
    await execute(ctx, { stream: streams.session(sessionId), scope: user.id, meta }, sessionDecider, {
      kind: 'start', sessionId, userId: user.id, method, eventId, expiresAt, now,
    });
    return tokenPair(ctx, user, sessionId, refreshToken);
  });
}

/** Rotates a refresh token; an already rotated one revokes its session and is refused. */
export async function refreshSession(ctx: IdentityContext, presented: string, call: Call): Promise<TokenPair> {
  const issued = await ctx.tokens.refreshToken(sha256Hex(presented));
  if (!issued) throw new UnauthenticatedError('invalid refresh token');
  const { sessionId } = issued;
  const session = await ctx.reader.session(sessionId);
  if (!session) throw new UnauthenticatedError('session ended');
  const user = await ctx.reader.user(session.userId);
  if (!user) throw new UnauthenticatedError('user no longer exists');
  const eventId = ctx.newId();
  const revokeEventId = ctx.newId();
  const target = { stream: streams.session(sessionId), scope: user.id, meta: { ...metaOf(call), actor: `user:${user.id}` } };
  const presentedHash = sha256Hex(presented);
  const graceMs = ctx.config.REFRESH_GRACE_SECONDS * 1000;
  return withRefreshToken(ctx, sessionId, eventId, async (refreshToken) => {
    const now = ctx.clock();
    const expiresAt = new Date(now.getTime() + ctx.config.REFRESH_TOKEN_TTL_SECONDS * 1000);
    // Sealed before the append, so a parallel refresh that loses the race finds it once it has lost.
    await ctx.tokens.saveGrace(presentedHash, eventId, sealWith(presented, refreshToken), new Date(now.getTime() + graceMs));
    const { appended, state } = await execute(ctx, target, sessionDecider, {
      kind: 'refresh', sessionId, presentedTokenEventId: issued.eventId, eventId, revokeEventId, expiresAt, now, graceMs,
    });
    // An older token of the chain came back: the decision revoked the session instead of rotating it.
    if (appended.some((e) => e.type === 'session_revoked')) {
      ctx.logger.warn({ sessionId, userId: user.id, requestId: call.requestId }, 'refresh token reused; session revoked');
      throw new UnauthenticatedError('refresh token was already used; the session is revoked');
    }
    if (appended.length === 0 && state.status === 'active') {
      // A parallel refresh of the same token won: answer with the refresh token it issued.
      await ctx.credentials.forgetEvent(eventId);
      const sealed = await ctx.tokens.grace(presentedHash, state.tokenEventId, now);
      const winner = sealed === undefined ? undefined : openWith(presented, sealed);
      if (winner === undefined) throw new UnauthenticatedError('refresh token was already used');
      return tokenPair(ctx, user, sessionId, winner);
    }
    return tokenPair(ctx, user, sessionId, refreshToken);
  });
}

/** Ends a session (no-op when it already ended). */
export async function revokeSession(ctx: IdentityContext, sessionId: string, userId: string, reason: string, call: Call): Promise<void> {
  const now = ctx.clock();
  const eventId = ctx.newId();
  await execute(ctx, { stream: streams.session(sessionId), scope: userId, meta: metaOf(call) }, sessionDecider, {
    kind: 'revoke', sessionId, reason, eventId, now,
  });
}

/**
 * Ends the user's sessions (all, or all but `keepSessionId`) and, unless told not to, revokes
 * their API keys: what a new password, turning on 2FA and "sign out everywhere" do.
 */
export async function signOutEverywhere(
  ctx: IdentityContext, userId: string, reason: 'password_changed' | 'signed_out_everywhere' | 'two_factor_enabled', call: Call,
  options: { readonly keepSessionId?: string; readonly apiKeys: boolean },
): Promise<{ sessions_revoked: number; api_keys_revoked: number }> {
  let sessions = 0;
  for (const session of ctx.view.activeSessionsOf(userId)) {
    if (session.id === options.keepSessionId) continue;
    await revokeSession(ctx, session.id, userId, reason, call);
    sessions++;
  }
  let keys = 0;
  if (options.apiKeys && reason !== 'two_factor_enabled') {
    for (const key of ctx.view.apiKeysOf(userId)) {
      await execute(ctx, { stream: streams.apiKey(key.id), scope: userId, meta: metaOf(call) }, apiKeyDecider, {
        kind: 'revoke', keyId: key.id, actor: { userId, admin: true }, reason, eventId: ctx.newId(), now: ctx.clock(),
      });
      keys++;
    }
  }
  return { sessions_revoked: sessions, api_keys_revoked: keys };
}
