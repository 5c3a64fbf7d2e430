import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';
import { DisplayName, Email, Empty, EntityId, NewPassword, Role, UserView } from './schemas';

/** Every user (admin only). */
export const userList = defineQuery({
  domain: 'identity',
  name: 'users',
  description: 'List users (admin)',
  request: z.object({}),
  reply: z.object({ users: z.array(UserView) }),
});

/** One user: admins see anyone, a member only themself. */
export const userGet = defineQuery({
  domain: 'identity',
  name: 'user',
  description: 'Get a user (admin, or the user themself)',
  request: z.object({ id: EntityId }),
  reply: UserView,
});

/** Creates a user (admin only). */
export const userCreate = defineCommand({
  domain: 'identity',
  name: 'user_create',
  description: 'Create a user (admin)',
  request: z.object({ email: Email, password: NewPassword, name: DisplayName.optional(), role: Role.default('member') }),
  reply: UserView,
});

/** Changes a user's e-mail, name, role or password (admin only); a new password ends their sessions. */
export const userUpdate = defineCommand({
  domain: 'identity',
  name: 'user_update',
  description: 'Update a user (admin)',
  request: z.object({
    id: EntityId,
    email: Email.optional(),
    name: DisplayName.nullable().optional(),
    role: Role.optional(),
    password: NewPassword.optional(),
  }),
  reply: UserView.extend({
    sessions_revoked: z.number().int().optional().describe('With a new password: the sessions it ended'),
    api_keys_revoked: z.number().int().optional().describe('With a new password: the API keys it revoked'),
  }),
});

/** Deletes a user (admin only); the last admin cannot be deleted. */
export const userDelete = defineCommand({
  domain: 'identity',
  name: 'user_delete',
  description: 'Delete a user (admin); never the last admin',
  request: z.object({ id: EntityId }),
  reply: Empty,
});
