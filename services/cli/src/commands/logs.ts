import type { Client } from '../client';
import { followSse } from '../sse';
import { shortTime, table, type Output } from '../output';

interface LogLine {
  readonly seq: number;
  readonly time?: string;
  readonly level?: string;
  readonly msg?: string;
  readonly [key: string]: unknown;
}

const HIDDEN = new Set(['seq', 'time', 'level', 'msg', 'service', 'instance', 'pid', 'hostname']);

function render(line: LogLine): string {
  const extra = Object.entries(line)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${shortTime(line.time)}  ${(line.level ?? '').toUpperCase().padEnd(5)}  ${line.msg ?? ''}${extra ? `  ${extra}` : ''}`;
}

export interface LogsOptions {
  readonly follow: boolean;
  readonly tail: number;
  readonly level?: string;
  readonly retryMs?: number;
  readonly signal?: AbortSignal;
}

/** `cadre logs <container>`: the instance's last lines, and with `-f` its live ones (resumed across drops). */
export async function logs(client: Client, output: Output, container: string, options: LogsOptions): Promise<void> {
  const query = new URLSearchParams({ tail: String(options.tail) });
  if (options.level) query.set('level', options.level);
  const path = `/v1/admin/containers/${encodeURIComponent(container)}/logs`;
  if (!options.follow) {
    query.set('follow', 'false');
    const reply = await client.call<{ lines: LogLine[] }>('GET', `${path}?${query}`);
    if (output.json) for (const line of reply.lines) output.line(line, () => '');
    else for (const line of reply.lines) output.line(line, () => render(line));
    return;
  }
  await followSse({
    client,
    path: `${path}?${query}`,
    ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onReconnect: (attempt) => output.note(`connection lost; reconnecting (attempt ${attempt})`),
    onEvent: (event) => {
      if (event.event !== 'log') return;
      const line = JSON.parse(event.data) as LogLine;
      output.line(line, () => render(line));
    },
  });
}

interface Container {
  readonly id: string;
  readonly service: string;
  readonly host: string;
  readonly version: string;
  readonly status: string;
  readonly started_at: string;
  readonly last_heartbeat: string;
}

/** `cadre containers`: the running instances. */
export async function containers(client: Client, output: Output): Promise<void> {
  const reply = await client.call<{ containers: Container[] }>('GET', '/v1/admin/containers');
  output.result(reply, () => reply.containers.length === 0 ? 'No instances.' : table(
    ['ID', 'SERVICE', 'HOST', 'VERSION', 'STATUS', 'STARTED', 'LAST HEARTBEAT'],
    reply.containers.map((c) => [c.id, c.service, c.host, c.version, c.status, shortTime(c.started_at), shortTime(c.last_heartbeat)]),
  ));
}
