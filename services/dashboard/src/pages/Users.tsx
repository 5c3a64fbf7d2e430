import { useState, type FormEvent } from 'react';
import { api, type User } from '../api';
import { ErrorNote, Page } from '../components/ui';
import { useApi, useSession } from '../hooks';

/** Admin: every user, create one, change a role, delete one (never the last admin: the API refuses). */
export function UsersPage() {
  const me = useSession().user;
  const users = useApi<{ users: (User & { created_at: string })[] }>('/v1/users');
  const [error, setError] = useState<Error>();
  const act = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
      users.reload();
    } catch (reason) {
      setError(reason as Error);
    }
  };
  const create = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const target = event.currentTarget;
    const form = new FormData(target);
    void act(async () => {
      const name = String(form.get('name') ?? '').trim();
      await api('POST', '/v1/users', {
        body: { email: String(form.get('email')), password: String(form.get('password')), role: String(form.get('role')), ...(name ? { name } : {}) },
      });
      target.reset();
    });
  };
  return (
    <Page title="Users">
      <ErrorNote error={users.error ?? error} />
      <div className="table-wrap">
        <table aria-label="Users">
          <thead><tr><th scope="col">E-mail</th><th scope="col">Name</th><th scope="col">Role</th><th scope="col">2FA</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
          <tbody>
            {(users.data?.users ?? []).map((u) => (
              <tr key={u.id} data-user={u.email}>
                <td>{u.email}</td>
                <td>{u.name ?? '—'}</td>
                <td>
                  <select aria-label={`Role of ${u.email}`} value={u.role} disabled={u.id === me?.id}
                    onChange={(e) => void act(() => api('PUT', `/v1/users/${u.id}`, { body: { role: e.target.value } }))}>
                    <option value="member">member</option>
                    <option value="admin">admin</option>
                  </select>
                </td>
                <td>{u.two_factor_enabled ? 'on' : 'off'}</td>
                <td>
                  {u.id !== me?.id ? (
                    <button type="button" className="danger" onClick={() => {
                      if (confirm(`Delete ${u.email}? Their sessions and API keys end.`)) void act(() => api('DELETE', `/v1/users/${u.id}`));
                    }}>Delete</button>
                  ) : <span className="muted">you</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form className="card stack" onSubmit={create} aria-labelledby="new-user">
        <h2 id="new-user">Add a user</h2>
        <label>E-mail<input name="email" type="email" required /></label>
        <label>Name<input name="name" /></label>
        <label>Password<input name="password" type="password" required minLength={12} autoComplete="new-password" /></label>
        <label>Role<select name="role" defaultValue="member"><option value="member">member</option><option value="admin">admin</option></select></label>
        <button type="submit">Add user</button>
      </form>
    </Page>
  );
}
