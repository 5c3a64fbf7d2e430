import { IdentityView, type ViewEvent } from './view';

const at = '2025-01-01T00:00:00.000Z';
const ev = (stream: string, version: number, type: string, data: Record<string, unknown>, id = `${stream}-${version}`): ViewEvent =>
  ({ id, type, stream, version, occurredAt: at, data });

describe('identity view', () => {
  it('counts an event seen twice once, and notices a missing one', () => {
    const view = new IdentityView();
    const created = ev('identity-users', 1, 'user_created', { user_id: 'u1', email: 'a@example.com', name: null, role: 'admin' });
    expect(view.apply(created)).toBe('applied');
    expect(view.apply(created)).toBe('duplicate');
    expect(view.apply(ev('identity-users', 3, 'user_deleted', { user_id: 'u1' }))).toBe('gap');
    expect(view.user('u1')).toBeDefined();
    expect(view.apply(ev('other', 1, 'run_created', {}))).toBe('ignored');
  });

  it('follows e-mail changes, password changes and deletion', () => {
    const view = new IdentityView();
    view.apply(ev('identity-users', 1, 'user_created', { user_id: 'u1', email: 'a@example.com', name: null, role: 'member' }));
    view.apply(ev('identity-users', 2, 'user_updated', { user_id: 'u1', email: 'b@example.com', password_changed: true }, 'pw2'));
    expect(view.userByEmail('a@example.com')).toBeUndefined();
    expect(view.userByEmail('b@example.com')).toMatchObject({ id: 'u1', passwordEventId: 'pw2' });
    view.apply(ev('identity-users', 3, 'user_deleted', { user_id: 'u1' }));
    expect(view.user('u1')).toBeUndefined();
    expect(view.userByEmail('b@example.com')).toBeUndefined();
  });

  it('keeps a revoked session revoked and sweeps expired ones', () => {
    const view = new IdentityView();
    const stream = 'identity-session-s1';
    view.apply(ev(stream, 1, 'session_started', { session_id: 's1', user_id: 'u1', method: 'password', expires_at: '2025-01-02T00:00:00Z' }));
    view.apply(ev(stream, 2, 'session_revoked', { session_id: 's1', user_id: 'u1', reason: 'logout' }));
    expect(view.session('s1')).toMatchObject({ revoked: true });
    expect(view.sweep(new Date('2025-01-01T12:00:00Z'))).toBe(0);
    expect(view.sweep(new Date('2025-01-03T00:00:00Z'))).toBe(1);
    expect(view.session('s1')).toBeUndefined();
  });
});
