import { type DragEvent, type FormEvent, useEffect, useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api';
import { ErrorNote, LiveIndicator, Page } from '../components/ui';
import { useApi, useEvents, useThrottled, useSession } from '../hooks';
import type { Project } from './Projects';

interface Task {
  readonly id: string; readonly key: string; readonly title: string; readonly status: string; readonly priority: string;
  readonly labels: string[]; readonly claim: { holder: string; expires_at: string | null } | null; readonly run_id: string | null;
}
interface Policy { readonly states: string[]; readonly initial_state: string; readonly transitions: { from: string; to: string; requires_human: boolean }[] }

/** A project's board: one column per state of its workflow policy; drag a card (or pick a state) to move it. */
export function ProjectPage({ id }: { readonly id: string }) {
  const base = `/v1/projects/${encodeURIComponent(id)}`;
  const project = useApi<Project>(base);
  const policy = useApi<{ policy: Policy }>(`${base}/workflow-policy`);
  const tasks = useApi<{ tasks: Task[] }>(`${base}/tasks?limit=500`);
  const user = useSession().user;
  const [error, setError] = useState<Error>();
  const [dragging, setDragging] = useState<string>();
  const reload = useThrottled(tasks.reload, 200);
  const live = useEvents({ project_id: id }, reload);
  // Whatever changed between the first load and the stream's start (or while it was away) is read again.
  useEffect(() => {
    if (live === 'live') reload();
  }, [live, reload]);

  const act = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
    } catch (reason) {
      setError(reason as Error);
    }
    tasks.reload();
  };
  const move = (task: Task, to: string) => {
    if (task.status === to) return;
    void act(() => api('POST', `${base}/tasks/${task.id}/transition`, { body: { to } }));
  };
  const allowed = (task: Task) => (policy.data?.policy.transitions ?? []).filter((t) => t.from === task.status).map((t) => t.to);
  const drop = (state: string) => (event: DragEvent) => {
    event.preventDefault();
    const task = tasks.data?.tasks.find((t) => t.id === event.dataTransfer.getData('text/plain'));
    setDragging(undefined);
    if (task) move(task, state);
  };
  const create = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const target = event.currentTarget;
    const form = new FormData(target);
    void act(async () => {
      await api('POST', `${base}/tasks`, { body: { title: String(form.get('title')) } });
      target.reset();
    });
  };
  const states = policy.data?.policy.states ?? [];
  const draggedTask = tasks.data?.tasks.find((t) => t.id === dragging);
  return (
    <Page title={project.data?.name ?? 'Project'} actions={<><Link href={`/projects/${id}/knowledge`}>Code graph</Link><LiveIndicator status={live} /></>}>
      <ErrorNote error={project.error ?? policy.error ?? tasks.error ?? error} />
      <form onSubmit={create} className="inline-form">
        <label>New task<input name="title" required maxLength={500} /></label>
        <button type="submit">Add</button>
      </form>
      <div className="board" role="list" aria-label="Board">
        {states.map((state) => {
          const column = (tasks.data?.tasks ?? []).filter((t) => t.status === state);
          const target = draggedTask !== undefined && allowed(draggedTask).includes(state);
          return (
            <section key={state} role="listitem" className={`column${target ? ' drop-target' : ''}`} aria-labelledby={`col-${state}`} data-column={state}
              onDragOver={(e) => e.preventDefault()} onDrop={drop(state)}>
              <h2 id={`col-${state}`}>{state} <span className="muted">{column.length}</span></h2>
              <ul>
                {column.map((task) => (
                  <li key={task.id} className="task-card" draggable data-task={task.key}
                    onDragStart={(e) => {
                      e.dataTransfer.setData('text/plain', task.id);
                      setDragging(task.id);
                    }}
                    onDragEnd={() => setDragging(undefined)}>
                    <strong>{task.title}</strong>
                    <span className="muted">{task.key} · {task.priority}{task.labels.length ? ` · ${task.labels.join(', ')}` : ''}</span>
                    {task.claim ? <span className="muted">Claimed by {task.claim.holder}</span> : null}
                    {task.run_id ? <Link href={`/runs/${task.run_id}`}>Its run</Link> : null}
                    <div className="card-actions">
                      <label className="sr-only" htmlFor={`move-${task.id}`}>Move {task.title} to</label>
                      <select id={`move-${task.id}`} value="" onChange={(e) => e.target.value && move(task, e.target.value)}>
                        <option value="">Move to…</option>
                        {allowed(task).map((to) => <option key={to} value={to}>{to}</option>)}
                      </select>
                      {task.claim ? (
                        <button type="button" onClick={() => void act(() => api('POST', `${base}/tasks/${task.id}/release`))}>Release</button>
                      ) : (
                        <button type="button" onClick={() => void act(() => api('POST', `${base}/tasks/${task.id}/claim`))} aria-label={`Claim ${task.title} as ${user?.email ?? 'me'}`}>Claim</button>
                      )}
                      <button type="button" onClick={() => void act(() => api('POST', `${base}/tasks/${task.id}/execute`))}>Run</button>
                    </div>
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
      </div>
    </Page>
  );
}
