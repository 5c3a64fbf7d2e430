import { ConflictError, NotFoundError } from '@cadre/proto';
import { deciderSpec } from '@cadre/testing';
import type { IdentityEvent } from '../events';
import type { DirectoryCommand } from './decide';
import { directoryDecider } from './decider';

const now = new Date('2025-01-01T00:00:00Z');
const directory = deciderSpec(directoryDecider);

const created = (userId: string, email: string, role: 'admin' | 'member' = 'member'): IdentityEvent => ({
  id: `e-${userId}`, type: 'user_created', occurredAt: now.toISOString(), data: { user_id: userId, email, name: null, role },
});
const setupDone: IdentityEvent = { id: 'e-setup', type: 'setup_completed', occurredAt: now.toISOString(), data: { user_id: 'u1' } };

describe('user directory', () => {
  describe('setup', () => {
    const setup: DirectoryCommand = { kind: 'setup', userId: 'u1', eventId: 'e1', setupEventId: 'e2', email: 'a@example.com', name: 'A', now };

    it('creates an admin and closes setup when nobody exists', () => {
      directory.when(setup).then([
        { id: 'e1', type: 'user_created', occurredAt: now.toISOString(), data: { user_id: 'u1', email: 'a@example.com', name: 'A', role: 'admin' } },
        { id: 'e2', type: 'setup_completed', occurredAt: now.toISOString(), data: { user_id: 'u1' } },
      ]).thenState({ setupCompleted: true, users: new Map([['u1', { email: 'a@example.com', role: 'admin' }]]) });
    });

    it('is a conflict once setup is done or any user exists', () => {
      directory.given([created('u1', 'a@example.com', 'admin'), setupDone]).when(setup).thenThrows(ConflictError);
      directory.given([created('u9', 'z@example.com')]).when(setup).thenThrows(ConflictError);
    });
  });

  describe('create', () => {
    it('refuses an e-mail a live user holds, and allows it again after deletion', () => {
      const create: DirectoryCommand = { kind: 'create', userId: 'u2', eventId: 'e3', email: 'a@example.com', name: null, role: 'member', now };
      const withAdmin = directory.given([created('u1', 'a@example.com', 'admin')]);
      withAdmin.when(create).thenThrows(ConflictError);
      const deleted: IdentityEvent = { id: 'e-d', type: 'user_deleted', occurredAt: now.toISOString(), data: { user_id: 'u1' } };
      withAdmin.given([deleted]).when(create).thenMatch([{ type: 'user_created', id: 'e3' }]);
    });
  });

  describe('update', () => {
    const team = directory.given([created('u1', 'a@example.com', 'admin'), created('u2', 'b@example.com')]);

    it('records only the fields that change', () => {
      team.when({ kind: 'update', userId: 'u2', eventId: 'e4', email: 'b@example.com', role: 'admin', passwordChanged: true, now })
        .then([{ id: 'e4', type: 'user_updated', occurredAt: now.toISOString(), data: { user_id: 'u2', role: 'admin', password_changed: true } }]);
    });

    it('appends nothing when nothing changes', () => {
      team.when({ kind: 'update', userId: 'u2', eventId: 'e4', role: 'member', passwordChanged: false, now }).then([]);
    });

    it('refuses to demote the last admin, or to take another user\'s e-mail', () => {
      team.when({ kind: 'update', userId: 'u1', eventId: 'e4', role: 'member', passwordChanged: false, now }).thenThrows(ConflictError);
      team.when({ kind: 'update', userId: 'u2', eventId: 'e4', email: 'a@example.com', passwordChanged: false, now }).thenThrows(ConflictError);
    });

    it('does not know a missing user', () => {
      team.when({ kind: 'update', userId: 'nope', eventId: 'e4', passwordChanged: true, now }).thenThrows(NotFoundError);
    });
  });

  describe('delete', () => {
    it('never deletes the last admin, but deletes an admin who has company', () => {
      const alone = directory.given([created('u1', 'a@example.com', 'admin'), created('u2', 'b@example.com')]);
      alone.when({ kind: 'delete', userId: 'u1', eventId: 'e5', now }).thenThrows(ConflictError);
      alone.given([created('u3', 'c@example.com', 'admin')]).when({ kind: 'delete', userId: 'u1', eventId: 'e5', now }).thenMatch([{ type: 'user_deleted' }]);
      alone.when({ kind: 'delete', userId: 'u9', eventId: 'e5', now }).thenThrows(NotFoundError);
    });
  });
});
