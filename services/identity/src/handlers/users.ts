import type { RequestHandler } from '@cadre/bus';
import { ForbiddenError, NotFoundError, userCreate, userDelete, userGet, userList, userUpdate } from '@cadre/proto';
import { execute } from '../command';
import type { IdentityContext } from '../context';
import { hashPassword } from '../crypto/passwords';
import type { DirectoryCommand } from '../directory/decide';
import { directoryDecider } from '../directory/decider';
import { streams } from '../events';
import { endpoint, metaOf, requireAdmin, requirePrincipal, type Call } from './call';
import { normalizeEmail, presentUser } from './present';
import { signOutEverywhere } from './sessions';

/** User administration (admins), and reading one's own record. */
export function userHandlers(ctx: IdentityContext): ReadonlyArray<readonly [string, RequestHandler]> {
  const decideOnDirectory = async (userId: string, call: Call, command: DirectoryCommand): Promise<void> => {
    await execute(ctx, { stream: streams.directory, scope: userId, meta: metaOf(call) }, directoryDecider, command);
  };

  /** Stores a new password hash under the event that will introduce it; undone when that event is not appended. */
  const withPassword = async (userId: string, password: string | undefined, run: (eventId: string) => Promise<void>) => {
    const eventId = ctx.newId();
    if (password !== undefined) await ctx.credentials.savePasswordHash(eventId, userId, await hashPassword(password));
    try {
      await run(eventId);
    } catch (error) {
      if (password !== undefined) await ctx.credentials.forgetEvent(eventId).catch(() => undefined);
      throw error;
    }
  };

  const existing = async (id: string) => {
    const user = await ctx.reader.user(id);
    if (!user) throw new NotFoundError('no such user');
    return user;
  };

  return [
    endpoint(userList, async (_request, call) => {
      requireAdmin(call);
      return { users: ctx.view.users().map((u) => presentUser(ctx.view, u)) };
    }),

    endpoint(userGet, async (request, call) => {
      const principal = requirePrincipal(call);
      if (principal.role !== 'admin' && principal.user_id !== request.id) throw new ForbiddenError('admins only, or your own record');
      return presentUser(ctx.view, await existing(request.id));
    }),

    endpoint(userCreate, async (request, call) => {
      requireAdmin(call);
      const userId = ctx.newId();
      await withPassword(userId, request.password, (eventId) => decideOnDirectory(userId, call, {
        kind: 'create', userId, eventId, email: normalizeEmail(request.email), name: request.name ?? null, role: request.role, now: ctx.clock(),
      }));
      return presentUser(ctx.view, await existing(userId));
    }),

    endpoint(userUpdate, async (request, call) => {
      requireAdmin(call);
      const passwordChanged = request.password !== undefined;
      await withPassword(request.id, request.password, (eventId) => decideOnDirectory(request.id, call, {
        kind: 'update', userId: request.id, eventId, passwordChanged, now: ctx.clock(),
        ...(request.email !== undefined ? { email: normalizeEmail(request.email) } : {}),
        ...(request.name !== undefined ? { name: request.name } : {}),
        ...(request.role !== undefined ? { role: request.role } : {}),
      }));
      // A new password ends the sessions the old one opened and the API keys made with them.
      const revoked = passwordChanged ? await signOutEverywhere(ctx, request.id, 'password_changed', call, { apiKeys: true }) : {};
      return { ...presentUser(ctx.view, await existing(request.id)), ...revoked };
    }),

    endpoint(userDelete, async (request, call) => {
      requireAdmin(call);
      await decideOnDirectory(request.id, call, { kind: 'delete', userId: request.id, eventId: ctx.newId(), now: ctx.clock() });
      return {};
    }),
  ];
}
