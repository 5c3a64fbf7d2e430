import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api';
import { Graph } from '../components/Graph';
import { ErrorNote, LiveIndicator, Page, Status } from '../components/ui';
import { shortId, text } from '../format';
import { useApi, useEvents, useThrottled } from '../hooks';
import type { SwarmTaskView, SwarmView } from '../types';

/** A swarm: its DAG with each task's state as it changes, task details, cancel and retry. */
export function SwarmPage({ id }: { readonly id: string }) {
  const swarm = useApi<SwarmView>(`/v1/swarm/${encodeURIComponent(id)}`);
  const tasks = useApi<{ tasks: SwarmTaskView[] }>(`/v1/swarm/${encodeURIComponent(id)}/tasks`);
  const [selected, setSelected] = useState<string>();
  const [actionError, setActionError] = useState<Error>();
  const reload = useThrottled(() => {
    swarm.reload();
    tasks.reload();
  }, 150);
  const live = useEvents({ swarm_id: id, types: 'swarm_task_started,swarm_task_complete,swarm_task_failed,swarm_task_retrying,swarm_task_skipped,swarm_completed,swarm_failed,swarm_cancelled,swarm_retried' }, reload);
  // Whatever changed between the first load and the stream's start (or while it was away) is read again.
  useEffect(() => {
    if (live === 'live') reload();
  }, [live, reload]);

  const act = async (action: 'cancel' | 'retry') => {
    setActionError(undefined);
    try {
      await api('POST', `/v1/swarm/${id}/${action}`);
      reload();
    } catch (reason) {
      setActionError(reason as Error);
    }
  };
  const list = tasks.data?.tasks ?? [];
  const chosen = list.find((t) => t.key === selected);
  const view = swarm.data;
  return (
    <Page
      title={view?.goal ? `Swarm: ${view.goal.slice(0, 60)}` : `Swarm ${shortId(id)}`}
      actions={<>
        <LiveIndicator status={live} />
        {view?.status === 'running' ? <button type="button" onClick={() => void act('cancel')}>Cancel</button> : null}
        {view && (view.status === 'failed' || view.status === 'cancelled') ? <button type="button" onClick={() => void act('retry')}>Retry</button> : null}
      </>}
    >
      <ErrorNote error={swarm.error ?? tasks.error ?? actionError} />
      {view ? (
        <dl className="facts">
          <div><dt>Status</dt><dd data-testid="swarm-status"><Status value={view.status} /></dd></div>
          <div><dt>Agent</dt><dd>{view.agent_id}</dd></div>
          <div><dt>Progress</dt><dd>{view.progress.completed ?? 0} of {view.total_tasks} completed{view.progress.failed ? `, ${view.progress.failed} failed` : ''}</dd></div>
          <div><dt>At once</dt><dd>{view.max_concurrent}</dd></div>
        </dl>
      ) : null}
      {view?.error ? <p className="error">{view.error}</p> : null}
      {list.length > 0 ? (
        <Graph
          label={`Task graph: ${list.map((t) => `${t.title} ${t.status}`).join(', ')}`}
          nodes={list.map((t) => ({ id: t.key, label: t.title, status: t.status }))}
          edges={list.flatMap((t) => t.dependencies.map((d) => ({ from: d, to: t.key })))}
          onSelect={setSelected}
        />
      ) : null}
      <div className="table-wrap">
        <table aria-label="Tasks">
          <thead><tr><th scope="col">Task</th><th scope="col">Depends on</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Run</th></tr></thead>
          <tbody>
            {list.map((t) => (
              <tr key={t.key} data-task={t.key} data-status={t.status} aria-selected={t.key === selected}>
                <td><button type="button" className="link" onClick={() => setSelected(t.key)}>{t.title}</button></td>
                <td>{t.dependencies.join(', ') || '—'}</td>
                <td><Status value={t.status} /></td>
                <td>{t.attempts}</td>
                <td>{t.run_id ? <Link href={`/runs/${t.run_id}`}>{shortId(t.run_id)}</Link> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {chosen ? (
        <section className="card" aria-label={`Task ${chosen.title}`}>
          <h2>{chosen.title} <Status value={chosen.status} /></h2>
          {chosen.error ? <p className="error">{chosen.error}</p> : null}
          {chosen.skip_reason ? <p>{chosen.skip_reason}</p> : null}
          {chosen.duration_ms !== null ? <p className="muted">{(chosen.duration_ms / 1000).toFixed(1)} s</p> : null}
          {chosen.outputs ? <pre>{text(chosen.outputs)}</pre> : null}
        </section>
      ) : null}
    </Page>
  );
}
