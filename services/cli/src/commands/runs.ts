import type { Client } from '../client';
import { shortTime, table, truncate, type Output } from '../output';

interface Step {
  readonly step_id: string;
  readonly status: string;
  readonly agent_id: string | null;
  readonly attempt: number;
  readonly error: string | null;
}

interface Run {
  readonly id: string;
  readonly pipeline_id: string;
  readonly status: string;
  readonly task_description: string;
  readonly current_step_id: string | null;
  readonly error: string | null;
  readonly created_at?: string;
  readonly steps?: readonly Step[];
}

const enc = encodeURIComponent;

function runSummary(run: Run): string {
  const lines = [
    `Run       ${run.id}`,
    `Pipeline  ${run.pipeline_id}`,
    `Status    ${run.status}${run.current_step_id ? ` (at ${run.current_step_id})` : ''}`,
    `Task      ${truncate(run.task_description, 100)}`,
  ];
  if (run.created_at) lines.push(`Created   ${shortTime(run.created_at)}`);
  if (run.error) lines.push(`Error     ${run.error}`);
  if (run.steps && run.steps.length > 0) {
    lines.push('', table(['STEP', 'STATUS', 'AGENT', 'ATTEMPT', 'ERROR'], run.steps.map((s) => [
      s.step_id, s.status, s.agent_id ?? '', String(s.attempt), truncate(s.error ?? '', 60),
    ])));
  }
  return lines.join('\n');
}

export async function runsCreate(client: Client, output: Output, options: { pipeline: string; task: string; context?: string; project?: string }): Promise<void> {
  const run = await client.call<Run>('POST', '/v1/runs', {
    pipeline_id: options.pipeline,
    task_description: options.task,
    ...(options.context !== undefined ? { human_context: options.context } : {}),
    ...(options.project !== undefined ? { project_name: options.project } : {}),
  });
  output.result(run, () => `Created run ${run.id} (${run.pipeline_id}, ${run.status})`);
}

export async function runsList(client: Client, output: Output, options: { pipeline?: string; status?: string; limit?: string; cursor?: string }): Promise<void> {
  const query = new URLSearchParams();
  if (options.pipeline) query.set('pipeline_id', options.pipeline);
  if (options.status) query.set('status', options.status);
  if (options.limit) query.set('limit', options.limit);
  if (options.cursor) query.set('cursor', options.cursor);
  const qs = query.toString();
  const reply = await client.call<{ runs: Run[]; total: number; next_cursor: string | null }>('GET', `/v1/runs${qs ? `?${qs}` : ''}`);
  output.result(reply, () => {
    if (reply.runs.length === 0) return 'No runs.';
    const rows = reply.runs.map((r) => [r.id, r.pipeline_id, r.status, shortTime(r.created_at), truncate(r.task_description, 50)]);
    const more = reply.next_cursor ? `\n(${reply.total} in all; next page: --cursor ${reply.next_cursor})` : '';
    return `${table(['ID', 'PIPELINE', 'STATUS', 'CREATED', 'TASK'], rows)}${more}`;
  });
}

export async function runsGet(client: Client, output: Output, id: string): Promise<void> {
  const run = await client.call<Run>('GET', `/v1/runs/${enc(id)}`);
  output.result(run, () => runSummary(run));
}

export async function runsCancel(client: Client, output: Output, id: string, reason?: string): Promise<void> {
  const run = await client.call<Run>('POST', `/v1/runs/${enc(id)}/cancel`, reason !== undefined ? { reason } : {});
  output.result(run, () => `Run ${id}: ${run?.status ?? 'cancel requested'}`);
}

export async function runsRestart(client: Client, output: Output, id: string, fromStart: boolean): Promise<void> {
  const run = await client.call<Run>('POST', `/v1/runs/${enc(id)}/restart`, { from_start: fromStart });
  output.result(run, () => `Run ${id}: ${run?.status ?? 'restart requested'}`);
}
