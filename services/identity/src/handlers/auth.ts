import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from '@cadre/bus';
import {
  ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, authStatus, login, loginTwoFactor, logout, logoutEverywhere, me, refresh, setup,
} from '@cadre/proto';
import { execute } from '../command';
import type { IdentityContext } from '../context';
import { hashPassword } from '../crypto/passwords';
import { directoryDecider } from '../directory/decider';
import { streams } from '../events';
import type { ThrottleSubject } from '../throttle/throttle';
import { endpoint, metaOf, requirePrincipal, type Call } from './call';
import { normalizeEmail, presentUser } from './present';
import { recoveryCodeHash, spendTotpCode } from './second-factor';
import { refreshSession, revokeSession, signOutEverywhere, startSession } from './sessions';

/** Compares in constant time (by digest, so lengths do not show either). */
const sameSecret = (given: string, expected: string): boolean =>
  timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());

const NO_SUCH_EVENT = '00000000-0000-0000-0000-000000000000';

export const throttleSubject = (email: string, call: Call): ThrottleSubject =>
  call.clientAddress ? { account: email, address: call.clientAddress } : { account: email };

/** Setup, login (with 2FA), refresh, logout, me and the auth status. */
export function authHandlers(ctx: IdentityContext): ReadonlyArray<readonly [string, RequestHandler]> {
  return [
    endpoint(authStatus, async () => ({ auth_enabled: ctx.config.AUTH_ENABLED, setup_required: !ctx.view.setupCompleted() })),

    endpoint(setup, async (request, call) => {
      // Answer a done setup before spending an argon2 hash on it; the directory decides for real.
      if (ctx.view.setupCompleted()) throw new ConflictError('setup is already done');
      const expected = ctx.config.SETUP_TOKEN;
      if (expected !== undefined && !sameSecret(request.setup_token ?? '', expected)) {
        throw new ForbiddenError('setup needs the one-time setup token that Cadre printed when it started (send it as setup_token)', { reason: 'setup_token_required' });
      }
      const email = normalizeEmail(request.email);
      const userId = ctx.newId();
      const eventId = ctx.newId();
      await ctx.credentials.savePasswordHash(eventId, userId, await hashPassword(request.password));
      try {
        await execute(ctx, { stream: streams.directory, scope: userId, meta: metaOf(call) }, directoryDecider, {
          kind: 'setup', userId, eventId, setupEventId: ctx.newId(), email, name: request.name ?? null, now: ctx.clock(),
        });
      } catch (error) {
        await ctx.credentials.forgetEvent(eventId).catch(() => undefined);
        throw error;
      }
      ctx.logger.info({ userId }, 'setup completed');
      return startSession(ctx, ctx.view.user(userId)!, 'setup', call);
    }),

    endpoint(login, async (request, call) => {
      const email = normalizeEmail(request.email);
      const attempt = await ctx.throttle.attempt(throttleSubject(email, call), ctx.clock());
      // Catch up first, so a password or 2FA change made on another replica a moment ago counts here.
      await ctx.reader.catchUp(streams.directory);
      const user = ctx.view.userByEmail(email);
      // The same lookup and the same argon2 work for an unknown e-mail as for a wrong password.
      const stored = await ctx.credentials.passwordHash(user?.passwordEventId ?? NO_SUCH_EVENT);
      const hash = user ? stored : undefined;
      if (!(await ctx.passwords.check(hash, request.password)) || !user) throw new UnauthenticatedError('invalid email or password');
      await attempt.succeeded(); // the password was right; the second factor is throttled on its own
      await ctx.reader.catchUp(streams.twoFactor(user.id));
      if (ctx.view.twoFactorOf(user.id) !== undefined) {
        const ttl = ctx.config.PENDING_2FA_TTL_SECONDS;
        const pending = await ctx.signer.signPending({ sub: user.id, jti: ctx.newId() }, ttl);
        return { requires_2fa: true as const, pending_token: pending, expires_in: ttl };
      }
      return startSession(ctx, user, 'password', call);
    }),

    endpoint(loginTwoFactor, async (request, call) => {
      const claims = await ctx.signer.verifyPending(request.pending_token);
      const user = await ctx.reader.user(claims.sub);
      if (!user) throw new UnauthenticatedError('invalid pending token');
      const attempt = await ctx.throttle.attempt({ ...throttleSubject(user.email, call), pendingToken: claims.jti }, ctx.clock());
      await ctx.reader.catchUp(streams.twoFactor(user.id));
      const generation = ctx.view.twoFactorOf(user.id);
      if (generation === undefined) throw new UnauthenticatedError('invalid pending token');
      let ok: boolean;
      if (request.code !== undefined) {
        const secret = await ctx.credentials.totpSecret(generation);
        ok = secret !== undefined && (await spendTotpCode(ctx, user.id, secret, request.code));
      } else {
        ok = await ctx.credentials.spendRecoveryCode(generation, recoveryCodeHash(request.recovery_code ?? ''), ctx.clock());
      }
      if (!ok) throw new UnauthenticatedError('invalid code');
      // Spent only after a right code, so a mistyped code does not force a new password login.
      if (!(await ctx.tokens.spendPendingToken(claims.jti, new Date(claims.exp * 1000)))) {
        throw new UnauthenticatedError('pending token already used');
      }
      await attempt.succeeded();
      return startSession(ctx, user, request.code !== undefined ? 'two_factor' : 'recovery_code', call);
    }),

    endpoint(refresh, (request, call) => refreshSession(ctx, request.refresh_token, call)),

    endpoint(logout, async (_request, call) => {
      const principal = requirePrincipal(call);
      if (principal.kind !== 'user' || principal.user_id === undefined) throw new ForbiddenError('only a session can log out');
      await revokeSession(ctx, principal.credential_id, principal.user_id, 'logout', call);
      return {};
    }),

    endpoint(logoutEverywhere, async (_request, call) => {
      const principal = requirePrincipal(call);
      if (principal.kind !== 'user' || principal.user_id === undefined) throw new ForbiddenError('only a signed-in user can sign out everywhere');
      return signOutEverywhere(ctx, principal.user_id, 'signed_out_everywhere', call, { apiKeys: true });
    }),

    endpoint(me, async (_request, call) => {
      const principal = requirePrincipal(call);
      if (principal.user_id === undefined) throw new ForbiddenError('this credential has no user');
      const user = await ctx.reader.user(principal.user_id);
      if (!user) throw new NotFoundError('no such user');
      return presentUser(ctx.view, user);
    }),
  ];
}
