import { ConflictError, NotFoundError, type UserRole } from '@cadre/proto';
import { event, type IdentityEvent } from '../events';
import { adminCount, userWithEmail, type DirectoryState } from './directory';

/** Commands on the user directory. Ids and time come in the command (never made here). */
export type DirectoryCommand =
  | {
      readonly kind: 'setup';
      readonly userId: string;
      /** Id of the user_created event, which the password hash row is keyed by. */
      readonly eventId: string;
      readonly setupEventId: string;
      readonly email: string;
      readonly name: string | null;
      readonly now: Date;
    }
  | {
      readonly kind: 'create';
      readonly userId: string;
      readonly eventId: string;
      readonly email: string;
      readonly name: string | null;
      readonly role: UserRole;
      readonly now: Date;
    }
  | {
      readonly kind: 'update';
      readonly userId: string;
      readonly eventId: string;
      readonly email?: string;
      readonly name?: string | null;
      readonly role?: UserRole;
      readonly passwordChanged: boolean;
      readonly now: Date;
    }
  | { readonly kind: 'delete'; readonly userId: string; readonly eventId: string; readonly now: Date };

export function decideDirectory(command: DirectoryCommand, state: DirectoryState): readonly IdentityEvent[] {
  switch (command.kind) {
    case 'setup': {
      if (state.setupCompleted || state.users.size > 0) throw new ConflictError('setup is already done');
      const { userId, email, name, now } = command;
      return [
        event('user_created', command.eventId, now, { user_id: userId, email, name, role: 'admin' }),
        event('setup_completed', command.setupEventId, now, { user_id: userId }),
      ];
    }
    case 'create': {
      if (userWithEmail(state, command.email) !== undefined) throw new ConflictError('a user with this e-mail exists', { field: 'email' });
      const { userId, email, name, role, now } = command;
      return [event('user_created', command.eventId, now, { user_id: userId, email, name, role })];
    }
    case 'update':
      return decideUpdate(command, state);
    case 'delete': {
      const user = state.users.get(command.userId);
      if (!user) throw new NotFoundError('no such user');
      if (user.role === 'admin' && adminCount(state) === 1) throw new ConflictError('the last admin cannot be deleted');
      return [event('user_deleted', command.eventId, command.now, { user_id: command.userId })];
    }
  }
}

function decideUpdate(command: Extract<DirectoryCommand, { kind: 'update' }>, state: DirectoryState): readonly IdentityEvent[] {
  const user = state.users.get(command.userId);
  if (!user) throw new NotFoundError('no such user');
  const emailChanged = command.email !== undefined && command.email !== user.email;
  if (emailChanged && userWithEmail(state, command.email as string) !== undefined) {
    throw new ConflictError('a user with this e-mail exists', { field: 'email' });
  }
  const roleChanged = command.role !== undefined && command.role !== user.role;
  if (roleChanged && user.role === 'admin' && adminCount(state) === 1) throw new ConflictError('the last admin cannot stop being an admin');
  // Names are not kept in the directory (no invariant needs them), so a given name always counts.
  const nameGiven = command.name !== undefined;
  if (!emailChanged && !roleChanged && !nameGiven && !command.passwordChanged) return [];
  return [event('user_updated', command.eventId, command.now, {
    user_id: command.userId,
    ...(emailChanged ? { email: command.email } : {}),
    ...(nameGiven ? { name: command.name } : {}),
    ...(roleChanged ? { role: command.role } : {}),
    ...(command.passwordChanged ? { password_changed: true } : {}),
  })];
}
