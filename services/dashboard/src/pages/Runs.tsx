import { type FormEvent, useEffect, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api, query } from '../api';
import { Empty, ErrorNote, LiveIndicator, Page, Status } from '../components/ui';
import { duration, shortId, when } from '../format';
import { useApi, useEvents, useThrottled } from '../hooks';
import { RUN_EVENT_TYPES, type PipelineView, type RunView } from '../types';

const STATUSES = ['', 'pending', 'running', 'completed', 'failed', 'cancelled'] as const;

/** Starts a run of a pipeline with its task (and optional context). */
function StartRun() {
  const pipelines = useApi<{ pipelines: PipelineView[] }>('/v1/pipelines');
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const [, navigate] = useLocation();
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      const context = String(form.get('human_context') ?? '').trim();
      const project = String(form.get('project_name') ?? '').trim();
      const run = await api<RunView>('POST', '/v1/runs', {
        body: {
          pipeline_id: String(form.get('pipeline_id')), task_description: String(form.get('task_description')),
          ...(context ? { human_context: context } : {}), ...(project ? { project_name: project } : {}),
        },
      });
      navigate(`/runs/${run.id}`);
    } catch (reason) {
      setError(reason as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <details className="card">
      <summary>Start a run</summary>
      <form onSubmit={submit} className="stack">
        <label>Pipeline
          <select name="pipeline_id" required defaultValue="demo">
            {(pipelines.data?.pipelines ?? []).map((p) => <option key={p.id} value={p.id}>{p.name} ({p.id})</option>)}
          </select>
        </label>
        <label>Task<textarea name="task_description" required rows={3} placeholder="What should the agents do?" /></label>
        <label>Context (optional)<textarea name="human_context" rows={2} /></label>
        <label>Project name (optional)<input name="project_name" /></label>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>Start run</button>
      </form>
    </details>
  );
}

/** Runs, newest first, kept current by the event stream (new runs appear, statuses change). */
export function RunsPage() {
  const [status, setStatus] = useState('');
  const [pipeline, setPipeline] = useState('');
  const runs = useApi<{ runs: RunView[]; total: number }>(`/v1/runs${query({ status, pipeline_id: pipeline, limit: 100 })}`);
  const reload = useThrottled(runs.reload, 300);
  const live = useEvents({ types: RUN_EVENT_TYPES }, reload);
  // Whatever changed between the first load and the stream's start (or while it was away) is read again.
  useEffect(() => {
    if (live === 'live') reload();
  }, [live, reload]);
  return (
    <Page title="Runs" actions={<LiveIndicator status={live} />}>
      <StartRun />
      <div className="filters" role="group" aria-label="Filters">
        <label>Filter by status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            {STATUSES.map((s) => <option key={s} value={s}>{s || 'any'}</option>)}
          </select>
        </label>
        <label>Filter by pipeline<input value={pipeline} onChange={(e) => setPipeline(e.target.value.trim())} placeholder="any" /></label>
        <span>{runs.data ? `${runs.data.total} runs` : ''}</span>
      </div>
      <ErrorNote error={runs.error} />
      {runs.data && runs.data.runs.length === 0 ? <Empty>No runs yet. Start one above.</Empty> : null}
      {runs.data && runs.data.runs.length > 0 ? (
        <div className="table-wrap">
          <table aria-label="Runs">
            <thead><tr><th scope="col">Run</th><th scope="col">Pipeline</th><th scope="col">Task</th><th scope="col">Status</th><th scope="col">Step</th><th scope="col">Started</th><th scope="col">Took</th></tr></thead>
            <tbody>
              {runs.data.runs.map((run) => (
                <tr key={run.id} data-run={run.id}>
                  <td><Link href={`/runs/${run.id}`}>{shortId(run.id)}</Link></td>
                  <td>{run.pipeline_id}</td>
                  <td className="clip">{run.task_description}</td>
                  <td><Status value={run.status} /></td>
                  <td>{run.current_step_id ?? '—'}</td>
                  <td>{when(run.created_at)}</td>
                  <td>{run.completed_at ? duration(run.created_at, run.completed_at) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Page>
  );
}
