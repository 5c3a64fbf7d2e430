import type { RequestHandler } from '@cadre/bus';
import { ConflictError, NotFoundError, ValidationError, twoFactorDisable, twoFactorEnable, twoFactorVerify } from '@cadre/proto';
import { execute } from '../command';
import type { IdentityContext } from '../context';
import { newTotpSecret, totpUri } from '../crypto/totp';
import { streams } from '../events';
import { twoFactorDecider } from '../two-factor/decider';
import { endpoint, metaOf, requireSessionUser, type Call } from './call';
import { throttleSubject } from './auth';
import { confirmIdentity } from './confirm';
import { signOutEverywhere } from './sessions';
import { newRecoveryCodes, recoveryCodeHash, spendTotpCode } from './second-factor';

const wrongCode = (field: string) => new ValidationError('the code or password is wrong', [{ path: field, message: 'wrong or already used' }]);

/** Turning TOTP 2FA on (enable → verify) and off. */
export function twoFactorHandlers(ctx: IdentityContext): ReadonlyArray<readonly [string, RequestHandler]> {
  const signedInUser = async (call: Call) => {
    const { userId } = requireSessionUser(call);
    const user = await ctx.reader.user(userId);
    if (!user) throw new NotFoundError('no such user');
    await ctx.reader.catchUp(streams.twoFactor(userId));
    return { user, generation: ctx.view.twoFactorOf(userId) };
  };

  // Codes and passwords tried here count as login attempts: a stolen session must not be a way to guess them.
  const attempt = (email: string, call: Call) => ctx.throttle.attempt(throttleSubject(email, call), ctx.clock());
  const failed = (field: string): never => {
    throw wrongCode(field);
  };

  return [
    endpoint(twoFactorEnable, async (request, call) => {
      const { user, generation } = await signedInUser(call);
      if (generation !== undefined) throw new ConflictError('2FA is already on');
      await confirmIdentity(ctx, call, user, requireSessionUser(call).sessionId, request.password);
      const secret = newTotpSecret();
      await ctx.credentials.savePendingTotp(user.id, secret, ctx.clock());
      return { secret, otpauth_uri: totpUri(secret, user.email, ctx.config.TOTP_ISSUER) };
    }),

    endpoint(twoFactorVerify, async (request, call) => {
      const { user, generation } = await signedInUser(call);
      if (generation !== undefined) throw new ConflictError('2FA is already on');
      const secret = await ctx.credentials.pendingTotp(user.id);
      if (secret === undefined) throw new ConflictError('no 2FA setup in progress; call enable first');
      const tried = await attempt(user.email, call);
      if (!(await spendTotpCode(ctx, user.id, secret, request.code))) return failed('code');
      await tried.succeeded();
      const codes = newRecoveryCodes();
      const eventId = ctx.newId();
      await ctx.credentials.saveTotp(eventId, user.id, secret, codes.map(recoveryCodeHash));
      try {
        await execute(ctx, { stream: streams.twoFactor(user.id), scope: user.id, meta: metaOf(call) }, twoFactorDecider, {
          kind: 'enable', userId: user.id, eventId, now: ctx.clock(),
        });
      } catch (error) {
        await ctx.credentials.forgetEvent(eventId).catch(() => undefined);
        throw error;
      }
      await ctx.credentials.dropPendingTotp(user.id);
      // Sessions opened with the password alone end; this one goes on.
      await signOutEverywhere(ctx, user.id, 'two_factor_enabled', call, { keepSessionId: requireSessionUser(call).sessionId, apiKeys: false });
      return { enabled: true as const, recovery_codes: codes };
    }),

    endpoint(twoFactorDisable, async (request, call) => {
      const { user, generation } = await signedInUser(call);
      if (generation === undefined) throw new ConflictError('2FA is not on');
      const tried = await attempt(user.email, call);
      if (request.code !== undefined) {
        const secret = await ctx.credentials.totpSecret(generation);
        if (secret === undefined || !(await spendTotpCode(ctx, user.id, secret, request.code))) return failed('code');
      } else {
        const hash = await ctx.credentials.passwordHash(user.passwordEventId);
        if (!(await ctx.passwords.check(hash, request.password ?? ''))) return failed('password');
      }
      await tried.succeeded();
      await execute(ctx, { stream: streams.twoFactor(user.id), scope: user.id, meta: metaOf(call) }, twoFactorDecider, {
        kind: 'disable', userId: user.id, eventId: ctx.newId(), now: ctx.clock(),
      });
      return { enabled: false as const };
    }),
  ];
}
