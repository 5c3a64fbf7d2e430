import { readFile } from 'node:fs/promises';
import type { Client } from '../client';
import { shortTime, table, truncate, type Output } from '../output';

interface Progress { readonly [status: string]: number }

interface Swarm {
  readonly swarm_id: string;
  readonly agent_id: string;
  readonly status: string;
  readonly total_tasks: number;
  readonly max_concurrent: number;
  readonly progress: Progress;
  readonly error: string | null;
  readonly created_at: string;
  readonly summary?: { readonly total_duration_ms: number };
}

interface Task {
  readonly key: string;
  readonly title: string;
  readonly status: string;
  readonly attempts: number;
  readonly run_id: string | null;
  readonly error: string | null;
  readonly skip_reason: string | null;
}

const enc = encodeURIComponent;

const counts = (progress: Progress): string =>
  Object.entries(progress).filter(([, n]) => n > 0).map(([status, n]) => `${n} ${status}`).join(', ');

export interface LaunchOptions {
  /** A JSON file with the launch request (`agent_id`, `tasks`, …); `-` reads stdin. */
  readonly file: string;
  readonly agent?: string;
  readonly maxConcurrent?: number;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `cadre swarms launch --file swarm.json`: the file is the request body of `POST /v1/swarm/execute`; flags override its fields. */
export async function swarmsLaunch(client: Client, output: Output, options: LaunchOptions): Promise<void> {
  const text = options.file === '-' ? await readStdin() : await readFile(options.file, 'utf8');
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${options.file}: not JSON (${(error as Error).message})`);
  }
  if (Array.isArray(body)) body = { tasks: body };
  const reply = await client.call<{ swarm_id: string; total_tasks: number; root_tasks: string[]; max_depth: number }>('POST', '/v1/swarm/execute', {
    ...body,
    ...(options.agent !== undefined ? { agent_id: options.agent } : {}),
    ...(options.maxConcurrent !== undefined ? { max_concurrent: options.maxConcurrent } : {}),
  });
  output.result(reply, () => `Launched swarm ${reply.swarm_id}: ${reply.total_tasks} tasks, ${reply.root_tasks.length} to start with, ${reply.max_depth} deep`);
}

export async function swarmsList(client: Client, output: Output, options: { status?: string; agent?: string; limit?: string }): Promise<void> {
  const query = new URLSearchParams();
  if (options.status) query.set('status', options.status);
  if (options.agent) query.set('agent_id', options.agent);
  if (options.limit) query.set('limit', options.limit);
  const qs = query.toString();
  const reply = await client.call<{ swarms: Swarm[]; total: number }>('GET', `/v1/swarms${qs ? `?${qs}` : ''}`);
  output.result(reply, () => {
    if (reply.swarms.length === 0) return 'No swarms.';
    const rows = reply.swarms.map((s) => [s.swarm_id, s.agent_id, s.status, String(s.total_tasks), shortTime(s.created_at), truncate(counts(s.progress), 60)]);
    return `${table(['ID', 'AGENT', 'STATUS', 'TASKS', 'CREATED', 'PROGRESS'], rows)}${reply.total > reply.swarms.length ? `\n(${reply.total} in all)` : ''}`;
  });
}

export async function swarmsGet(client: Client, output: Output, id: string): Promise<void> {
  const [swarm, tasks] = await Promise.all([
    client.call<Swarm>('GET', `/v1/swarm/${enc(id)}`),
    client.call<{ tasks: Task[] }>('GET', `/v1/swarm/${enc(id)}/tasks`),
  ]);
  output.result({ ...swarm, tasks: tasks.tasks }, () => [
    `Swarm     ${swarm.swarm_id}`,
    `Agent     ${swarm.agent_id}`,
    `Status    ${swarm.status} (${counts(swarm.progress)}; at most ${swarm.max_concurrent} at once)`,
    `Created   ${shortTime(swarm.created_at)}`,
    ...(swarm.error ? [`Error     ${swarm.error}`] : []),
    '',
    table(['TASK', 'STATUS', 'ATTEMPTS', 'RUN', 'TITLE / ERROR'], tasks.tasks.map((t) => [
      t.key, t.status, String(t.attempts), t.run_id ?? '', truncate(t.error ?? t.skip_reason ?? t.title, 60),
    ])),
  ].join('\n'));
}

export async function swarmsCancel(client: Client, output: Output, id: string, reason?: string): Promise<void> {
  const swarm = await client.call<Swarm>('POST', `/v1/swarm/${enc(id)}/cancel`, reason !== undefined ? { reason } : {});
  output.result(swarm, () => `Swarm ${id}: ${swarm.status} (${counts(swarm.progress)})`);
}
