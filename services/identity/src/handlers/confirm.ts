import { ForbiddenError, ValidationError } from '@cadre/proto';
import type { IdentityContext } from '../context';
import type { UserRecord } from '../view/view';
import { throttleSubject } from './auth';
import type { Call } from './call';

/**
 * What turns a stolen access token into lasting access (an API key, 2FA on the account) needs
 * the user's password, or a sign-in of this session in the last RECENT_SIGN_IN_SECONDS.
 * A password tried here counts as a login attempt.
 */
export async function confirmIdentity(ctx: IdentityContext, call: Call, user: UserRecord, sessionId: string, password: string | undefined): Promise<void> {
  if (password !== undefined) {
    const attempt = await ctx.throttle.attempt(throttleSubject(user.email, call), ctx.clock());
    const hash = await ctx.credentials.passwordHash(user.passwordEventId);
    if (!(await ctx.passwords.check(hash, password))) {
      throw new ValidationError('the password is wrong', [{ path: 'password', message: 'wrong password' }]);
    }
    await attempt.succeeded();
    return;
  }
  const session = await ctx.reader.session(sessionId);
  const recent = session !== undefined && ctx.clock().getTime() - session.authenticatedAt <= ctx.config.RECENT_SIGN_IN_SECONDS * 1000;
  if (!recent) {
    throw new ForbiddenError('this needs your password: send "password", or sign in again', { reason: 'password_required' });
  }
}
