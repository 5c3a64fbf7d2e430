import { useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { api } from '../api';
import { Empty, ErrorNote, Page } from '../components/ui';
import { when } from '../format';
import { useApi } from '../hooks';

export interface Project {
  readonly id: string; readonly name: string; readonly description: string; readonly repository: string | null; readonly created_at: string; readonly archived: boolean;
}

export function ProjectsPage() {
  const projects = useApi<{ projects: Project[]; total: number }>('/v1/projects?limit=200');
  const [error, setError] = useState<Error>();
  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const target = event.currentTarget;
    const form = new FormData(target);
    setError(undefined);
    try {
      const repository = String(form.get('repository') ?? '').trim();
      await api('POST', '/v1/projects', { body: { name: String(form.get('name')), description: String(form.get('description') ?? ''), ...(repository ? { repository } : {}) } });
      target.reset();
      projects.reload();
    } catch (reason) {
      setError(reason as Error);
    }
  };
  return (
    <Page title="Projects">
      <ErrorNote error={projects.error ?? error} />
      {projects.data?.projects.length === 0 ? <Empty>No projects yet.</Empty> : null}
      <ul className="cards">
        {(projects.data?.projects ?? []).map((p) => (
          <li key={p.id} className="card">
            <h2><Link href={`/projects/${p.id}`}>{p.name}</Link></h2>
            <p>{p.description}</p>
            {p.repository ? <p className="muted mono">{p.repository} · <Link href={`/projects/${p.id}/knowledge`}>Code graph</Link></p> : null}
            <p className="muted">Created {when(p.created_at)}</p>
          </li>
        ))}
      </ul>
      <form onSubmit={create} className="card stack" aria-labelledby="new-project">
        <h2 id="new-project">New project</h2>
        <label>Name<input name="name" required maxLength={200} /></label>
        <label>Description<textarea name="description" rows={2} /></label>
        <label>Repository (a git URL or a server-side path, optional)<input name="repository" maxLength={2000} /></label>
        <button type="submit">Create project</button>
      </form>
    </Page>
  );
}
