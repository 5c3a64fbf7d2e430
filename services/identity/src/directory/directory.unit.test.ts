import { ConflictError, NotFoundError } from '@cadre/proto';
import type { IdentityEvent } from '../events';
import { decideDirectory, type DirectoryCommand } from './decide';
import { evolveDirectory, initialDirectory } from './directory';

const now = new Date('2025-01-01T00:00:00Z');
const given = (...events: IdentityEvent[]) => events.reduce(evolveDirectory, initialDirectory);
const when = (command: DirectoryCommand, history: IdentityEvent[] = []) => decideDirectory(command, given(...history));

const created = (userId: string, email: string, role: 'admin' | 'member' = 'member'): IdentityEvent => ({
  id: `e-${userId}`, type: 'user_created', occurredAt: now.toISOString(), data: { user_id: userId, email, name: null, role },
});
const setupDone: IdentityEvent = { id: 'e-setup', type: 'setup_completed', occurredAt: now.toISOString(), data: { user_id: 'u1' } };

describe('user directory', () => {
  describe('setup', () => {
    const setup: DirectoryCommand = { kind: 'setup', userId: 'u1', eventId: 'e1', setupEventId: 'e2', email: 'a@example.com', name: 'A', now };

    it('creates an admin and closes setup when nobody exists', () => {
      expect(when(setup).map((e) => [e.type, e.id])).toEqual([['user_created', 'e1'], ['setup_completed', 'e2']]);
      expect(when(setup)[0]!.data).toEqual({ user_id: 'u1', email: 'a@example.com', name: 'A', role: 'admin' });
    });

    it('is a conflict once setup is done or any user exists', () => {
      expect(() => when(setup, [created('u1', 'a@example.com', 'admin'), setupDone])).toThrow(ConflictError);
      expect(() => when(setup, [created('u9', 'z@example.com')])).toThrow(ConflictError);
    });
  });

  describe('create', () => {
    it('refuses an e-mail a live user holds, and allows it again after deletion', () => {
      const create: DirectoryCommand = { kind: 'create', userId: 'u2', eventId: 'e3', email: 'a@example.com', name: null, role: 'member', now };
      expect(() => when(create, [created('u1', 'a@example.com', 'admin')])).toThrow(ConflictError);
      const deleted: IdentityEvent = { id: 'e-d', type: 'user_deleted', occurredAt: now.toISOString(), data: { user_id: 'u1' } };
      expect(when(create, [created('u1', 'a@example.com', 'admin'), deleted])).toHaveLength(1);
    });
  });

  describe('update', () => {
    const history = [created('u1', 'a@example.com', 'admin'), created('u2', 'b@example.com')];

    it('records only the fields that change', () => {
      const [event] = when({ kind: 'update', userId: 'u2', eventId: 'e4', email: 'b@example.com', role: 'admin', passwordChanged: true, now }, history);
      expect(event!.data).toEqual({ user_id: 'u2', role: 'admin', password_changed: true });
    });

    it('appends nothing when nothing changes', () => {
      expect(when({ kind: 'update', userId: 'u2', eventId: 'e4', role: 'member', passwordChanged: false, now }, history)).toEqual([]);
    });

    it('refuses to demote the last admin, or to take another user\'s e-mail', () => {
      expect(() => when({ kind: 'update', userId: 'u1', eventId: 'e4', role: 'member', passwordChanged: false, now }, history)).toThrow(ConflictError);
      expect(() => when({ kind: 'update', userId: 'u2', eventId: 'e4', email: 'a@example.com', passwordChanged: false, now }, history)).toThrow(ConflictError);
    });

    it('does not know a missing user', () => {
      expect(() => when({ kind: 'update', userId: 'nope', eventId: 'e4', passwordChanged: true, now }, history)).toThrow(NotFoundError);
    });
  });

  describe('delete', () => {
    it('never deletes the last admin, but deletes an admin who has company', () => {
      const alone = [created('u1', 'a@example.com', 'admin'), created('u2', 'b@example.com')];
      expect(() => when({ kind: 'delete', userId: 'u1', eventId: 'e5', now }, alone)).toThrow(ConflictError);
      const twoAdmins = [...alone, created('u3', 'c@example.com', 'admin')];
      expect(when({ kind: 'delete', userId: 'u1', eventId: 'e5', now }, twoAdmins).map((e) => e.type)).toEqual(['user_deleted']);
      expect(() => when({ kind: 'delete', userId: 'u9', eventId: 'e5', now }, alone)).toThrow(NotFoundError);
    });
  });
});
