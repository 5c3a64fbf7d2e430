import type { Client } from '../client';
import { shortTime, table, truncate, type Output } from '../output';

interface Project {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly repository: string | null;
  readonly default_branch: string;
  readonly default_pipeline: string | null;
  readonly archived: boolean;
  readonly vision: string;
  readonly created_at: string;
}

interface Task {
  readonly id: string;
  readonly key: string;
  readonly title: string;
  readonly status: string;
  readonly priority: string;
  readonly labels: readonly string[];
  readonly assignee: string | null;
  readonly dependencies: readonly string[];
  readonly claim: { readonly holder: string; readonly expires_at: string | null } | null;
  readonly run_id: string | null;
}

/** Options of the projects and tasks commands, as the command line gave them. */
export interface ProjectOptions {
  readonly name?: string | undefined;
  readonly description?: string | undefined;
  readonly repository?: string | undefined;
  readonly pipeline?: string | undefined;
  readonly archived?: string | undefined;
  readonly status?: string | undefined;
  readonly assignee?: string | undefined;
  readonly label?: string | undefined;
  readonly limit?: string | undefined;
  readonly cursor?: string | undefined;
  readonly title?: string | undefined;
  readonly priority?: string | undefined;
  readonly 'depends-on'?: string | undefined;
  readonly agent?: string | undefined;
  readonly ttl?: string | undefined;
  readonly reason?: string | undefined;
}

/** A command line these commands cannot run; `main` prints it with the usage. */
export class ProjectUsageError extends Error {}

const enc = encodeURIComponent;
const list = (value: string | undefined): string[] | undefined => value?.split(',').map((v) => v.trim()).filter((v) => v.length > 0);
function need(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new ProjectUsageError(`${what} is required`);
  return value;
}
function query(values: Record<string, string | undefined>): string {
  const q = new URLSearchParams(Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined));
  const text = q.toString();
  return text.length > 0 ? `?${text}` : '';
}

const taskLine = (t: Task): string[] => [
  t.key, t.status, t.priority, t.claim?.holder ?? '', t.assignee ?? '', truncate(t.title, 50), t.id,
];

/** `cadre projects list|create|show`. */
export async function projectsCommand(client: Client, output: Output, sub: string | undefined, args: readonly string[], o: ProjectOptions): Promise<void> {
  switch (sub) {
    case 'list': {
      const reply = await client.call<{ projects: Project[]; total: number }>('GET', `/v1/projects${query({ archived: o.archived, limit: o.limit })}`);
      output.result(reply, () => reply.projects.length === 0 ? 'No projects.' : table(['ID', 'NAME', 'PIPELINE', 'CREATED', 'ARCHIVED'],
        reply.projects.map((p) => [p.id, truncate(p.name, 40), p.default_pipeline ?? '', shortTime(p.created_at), p.archived ? 'yes' : ''])));
      return;
    }
    case 'create': {
      const project = await client.call<Project>('POST', '/v1/projects', {
        name: need(o.name, '--name'),
        ...(o.description !== undefined ? { description: o.description } : {}),
        ...(o.repository !== undefined ? { repository: o.repository } : {}),
        ...(o.pipeline !== undefined ? { default_pipeline: o.pipeline } : {}),
      });
      output.result(project, () => `Created project ${project.id} (${project.name})`);
      return;
    }
    case 'show': {
      const id = need(args[0], 'the project id');
      const project = await client.call<Project>('GET', `/v1/projects/${enc(id)}`);
      const tasks = await client.call<{ tasks: Task[]; total: number }>('GET', `/v1/projects/${enc(id)}/tasks?limit=20`);
      output.result({ ...project, tasks: tasks.tasks, task_total: tasks.total }, () => [
        `Project     ${project.id}${project.archived ? ' (archived)' : ''}`,
        `Name        ${project.name}`,
        ...(project.description ? [`About       ${truncate(project.description, 100)}`] : []),
        `Repository  ${project.repository ?? '—'} (${project.default_branch})`,
        `Pipeline    ${project.default_pipeline ?? '—'}`,
        `Tasks       ${tasks.total}`,
        ...(tasks.tasks.length > 0 ? ['', table(['KEY', 'STATUS', 'PRI', 'CLAIMED BY', 'ASSIGNEE', 'TITLE', 'ID'], tasks.tasks.map(taskLine))] : []),
      ].join('\n'));
      return;
    }
    default:
      throw new ProjectUsageError(`unknown command: projects ${sub ?? ''}`.trim());
  }
}

/** `cadre tasks list|add|claim|move`. */
export async function tasksCommand(client: Client, output: Output, sub: string | undefined, args: readonly string[], o: ProjectOptions): Promise<void> {
  const project = need(args[0], 'the project id');
  const base = `/v1/projects/${enc(project)}/tasks`;
  switch (sub) {
    case 'list': {
      const reply = await client.call<{ tasks: Task[]; total: number; next_cursor: string | null }>('GET',
        `${base}${query({ status: o.status, assignee: o.assignee, label: o.label, limit: o.limit, cursor: o.cursor })}`);
      output.result(reply, () => {
        if (reply.tasks.length === 0) return 'No tasks.';
        const more = reply.next_cursor ? `\n(${reply.total} in all; next page: --cursor ${reply.next_cursor})` : '';
        return `${table(['KEY', 'STATUS', 'PRI', 'CLAIMED BY', 'ASSIGNEE', 'TITLE', 'ID'], reply.tasks.map(taskLine))}${more}`;
      });
      return;
    }
    case 'add': {
      const task = await client.call<Task>('POST', base, {
        title: need(o.title, '--title'),
        ...(o.description !== undefined ? { description: o.description } : {}),
        ...(o.priority !== undefined ? { priority: o.priority } : {}),
        ...(o.label !== undefined ? { labels: list(o.label) } : {}),
        ...(o['depends-on'] !== undefined ? { dependencies: list(o['depends-on']) } : {}),
      });
      output.result(task, () => `Added task ${task.key} ${task.id} (${task.status})`);
      return;
    }
    case 'claim': {
      const id = need(args[1], 'the task id');
      let ttl: number | undefined;
      if (o.ttl !== undefined) {
        if (!/^\d+$/.test(o.ttl)) throw new ProjectUsageError('--ttl must be a whole number of seconds');
        ttl = Number(o.ttl);
      }
      const task = await client.call<Task>('POST', `${base}/${enc(id)}/claim`, {
        ...(o.agent !== undefined ? { agent_id: o.agent } : {}), ...(ttl !== undefined ? { ttl_seconds: ttl } : {}),
      });
      output.result(task, () => `Task ${task.key} claimed by ${task.claim?.holder ?? '?'}${task.claim?.expires_at ? ` until ${shortTime(task.claim.expires_at)}` : ''}`);
      return;
    }
    case 'move': {
      const id = need(args[1], 'the task id');
      const to = need(args[2], 'the state to move to');
      const task = await client.call<Task>('POST', `${base}/${enc(id)}/transition`, {
        to, ...(o.reason !== undefined ? { reason: o.reason } : {}), ...(o.agent !== undefined ? { agent_id: o.agent } : {}),
      });
      output.result(task, () => `Task ${task.key} is ${task.status}`);
      return;
    }
    default:
      throw new ProjectUsageError(`unknown command: tasks ${sub ?? ''}`.trim());
  }
}
