import { type FormEvent, useEffect, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api, query } from '../api';
import { Empty, ErrorNote, LiveIndicator, Page, Status } from '../components/ui';
import { shortId, when } from '../format';
import { useApi, useEvents, useThrottled } from '../hooks';
import { SWARM_EVENT_TYPES, type SwarmView } from '../types';

const EXAMPLE = JSON.stringify([
  { key: 'schema', title: 'Design the schema', execution_prompt: 'Design a table for todo items.', dependencies: [] },
  { key: 'api', title: 'Write the API', execution_prompt: 'Write the REST API.', dependencies: ['schema'] },
  { key: 'ui', title: 'Write the UI', execution_prompt: 'Write the todo list UI.', dependencies: ['schema'] },
  { key: 'docs', title: 'Document it', execution_prompt: 'Write the README.', dependencies: ['api', 'ui'] },
], null, 2);

/** Launch a swarm from a task list (JSON), or plan one from a goal. */
function Launch() {
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const [, navigate] = useLocation();
  const run = async (work: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    try {
      navigate(`/swarms/${await work()}`);
    } catch (reason) {
      setError(reason as Error);
    } finally {
      setBusy(false);
    }
  };
  const execute = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void run(async () => {
      let tasks: unknown;
      try {
        tasks = JSON.parse(String(form.get('tasks')));
      } catch {
        throw new Error('Tasks: not valid JSON');
      }
      const reply = await api<{ swarm_id: string }>('POST', '/v1/swarm/execute', {
        body: { agent_id: String(form.get('agent_id')), max_concurrent: Number(form.get('max_concurrent')), tasks },
      });
      return reply.swarm_id;
    });
  };
  const plan = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void run(async () => {
      const reply = await api<{ swarm_id?: string; swarm?: { swarm_id: string } }>('POST', '/v1/swarm/plan', {
        body: { goal: String(form.get('goal')), agent_id: String(form.get('agent_id')), execute: true },
      });
      const id = reply.swarm_id ?? reply.swarm?.swarm_id;
      if (!id) throw new Error('The plan started no swarm');
      return id;
    });
  };
  return (
    <details className="card">
      <summary>Launch a swarm</summary>
      <div className="two">
        <form onSubmit={execute} className="stack" aria-label="Launch from tasks">
          <h2>From tasks</h2>
          <label>Agent<input name="agent_id" required defaultValue="demo-writer" /></label>
          <label>At once<input name="max_concurrent" type="number" min={1} max={64} defaultValue={3} /></label>
          <label>Tasks (JSON: key, title, execution_prompt, dependencies)<textarea name="tasks" rows={10} defaultValue={EXAMPLE} className="mono" /></label>
          <button type="submit" disabled={busy}>Launch</button>
        </form>
        <form onSubmit={plan} className="stack" aria-label="Plan from a goal">
          <h2>From a goal</h2>
          <label>Agent<input name="agent_id" required defaultValue="demo-writer" /></label>
          <label>Goal<textarea name="goal" rows={4} required /></label>
          <button type="submit" disabled={busy}>Plan and run</button>
        </form>
      </div>
      <ErrorNote error={error} />
    </details>
  );
}

export function SwarmsPage() {
  const [status, setStatus] = useState('');
  const swarms = useApi<{ swarms: SwarmView[]; total: number }>(`/v1/swarms${query({ status, limit: 100 })}`);
  const reload = useThrottled(swarms.reload, 300);
  const live = useEvents({ types: SWARM_EVENT_TYPES }, reload);
  // Whatever changed between the first load and the stream's start (or while it was away) is read again.
  useEffect(() => {
    if (live === 'live') reload();
  }, [live, reload]);
  return (
    <Page title="Swarms" actions={<LiveIndicator status={live} />}>
      <Launch />
      <div className="filters">
        <label>Status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            {['', 'running', 'completed', 'failed', 'cancelled'].map((s) => <option key={s} value={s}>{s || 'any'}</option>)}
          </select>
        </label>
      </div>
      <ErrorNote error={swarms.error} />
      {swarms.data?.swarms.length === 0 ? <Empty>No swarms yet.</Empty> : null}
      {swarms.data && swarms.data.swarms.length > 0 ? (
        <div className="table-wrap">
          <table aria-label="Swarms">
            <thead><tr><th scope="col">Swarm</th><th scope="col">Agent</th><th scope="col">Status</th><th scope="col">Done</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {swarms.data.swarms.map((s) => (
                <tr key={s.swarm_id}>
                  <td><Link href={`/swarms/${s.swarm_id}`}>{s.goal ? s.goal.slice(0, 60) : shortId(s.swarm_id)}</Link></td>
                  <td>{s.agent_id}</td>
                  <td><Status value={s.status} /></td>
                  <td>{s.progress.completed ?? 0} / {s.total_tasks}</td>
                  <td>{when(s.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Page>
  );
}
