import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { BarChart } from '../components/Chart';
import { TwoFactor } from '../components/TwoFactor';
import { ErrorNote, Page } from '../components/ui';
import { usd, when } from '../format';
import { useApi, useSession } from '../hooks';

interface ApiKey { readonly id: string; readonly name: string; readonly prefix: string; readonly created_at: string; readonly expires_at: string | null; readonly last_used_at: string | null }
interface Day { readonly day: string; readonly calls: number; readonly total_tokens: number; readonly cost_usd: number }

/** Your API keys (the key is shown once, at creation) and your model usage per day. */
export function AccountPage() {
  const user = useSession().user;
  const keys = useApi<{ api_keys?: ApiKey[]; keys?: ApiKey[] }>('/v1/auth/api-keys');
  const history = useApi<{ days: Day[] }>('/v1/usage/history?days=14');
  const [created, setCreated] = useState<string>();
  const [error, setError] = useState<Error>();
  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const target = event.currentTarget;
    const form = new FormData(target);
    setError(undefined);
    try {
      const reply = await api<{ key: string }>('POST', '/v1/auth/api-keys', { body: { name: String(form.get('name')) } });
      setCreated(reply.key);
      target.reset();
      keys.reload();
    } catch (reason) {
      setError(reason as Error);
    }
  };
  const revoke = async (id: string) => {
    setError(undefined);
    try {
      await api('DELETE', `/v1/auth/api-keys/${id}`);
      keys.reload();
    } catch (reason) {
      setError(reason as Error);
    }
  };
  const list = keys.data?.api_keys ?? keys.data?.keys ?? [];
  const days = history.data?.days ?? [];
  return (
    <Page title="Account">
      <p>Signed in as <strong>{user?.email}</strong> ({user?.role}).</p>
      <TwoFactor />
      <section aria-labelledby="keys-title">
        <h2 id="keys-title">API keys</h2>
        <ErrorNote error={keys.error ?? error} />
        {created ? (
          <p className="notice" role="status">New key (shown only now, copy it): <code data-testid="new-key">{created}</code></p>
        ) : null}
        {keys.data && list.length === 0 ? <p className="empty">No API keys yet.</p> : null}
        <div className="table-wrap" hidden={list.length === 0}>
          <table aria-label="API keys">
            <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span className="sr-only">Actions</span></th></tr></thead>
            <tbody>
              {list.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td><td><code>{k.prefix}</code></td><td>{when(k.created_at)}</td><td>{when(k.last_used_at)}</td>
                  <td><button type="button" className="danger" onClick={() => void revoke(k.id)} aria-label={`Revoke ${k.name}`}>Revoke</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <form onSubmit={create} className="inline-form">
          <label>Name of a new key<input name="name" required maxLength={100} /></label>
          <button type="submit">Create key</button>
        </form>
      </section>
      <section aria-labelledby="usage-title">
        <h2 id="usage-title">Your model usage, last 14 days</h2>
        <ErrorNote error={history.error} />
        <p>{days.reduce((s, d) => s + d.calls, 0)} calls, {days.reduce((s, d) => s + d.total_tokens, 0)} tokens, {usd(days.reduce((s, d) => s + d.cost_usd, 0))}.</p>
        {days.length > 0 ? (
          <BarChart title="Tokens per day" labels={days.map((d) => d.day.slice(5))} series={[{ label: 'tokens', values: days.map((d) => d.total_tokens), color: '#15803d' }]} />
        ) : null}
      </section>
    </Page>
  );
}
