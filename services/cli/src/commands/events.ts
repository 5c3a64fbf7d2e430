import type { Client } from '../client';
import { followSse } from '../sse';
import { shortTime, truncate, type Output } from '../output';

export interface TailOptions {
  readonly run?: string;
  /** Only one swarm's events and those of its tasks' runs. */
  readonly swarm?: string;
  /** Comma list of event types. */
  readonly types?: string;
  /** Start after this event id (default: from now). */
  readonly from?: string;
  /** Stop after this many events (default: follow until interrupted). */
  readonly limit?: number;
  /** Stop once an event of one of these types (comma list) was shown. */
  readonly until?: string;
  readonly retryMs?: number;
  readonly signal?: AbortSignal;
}

interface Envelope {
  readonly type?: string;
  readonly stream?: string;
  readonly occurredAt?: string;
  readonly data?: Record<string, unknown>;
}

function describe(data: Record<string, unknown> | undefined): string {
  if (!data) return '';
  const parts: string[] = [];
  for (const key of ['swarm_id', 'task_key', 'run_id', 'step_id', 'agent_id', 'status', 'error']) {
    const value = data[key];
    if (typeof value === 'string' && value !== '') parts.push(`${key.replace(/_id$/, '').replace('task_key', 'task')}=${truncate(value, 60)}`);
  }
  return parts.join(' ');
}

/**
 * `cadre events tail`: follows `GET /v1/events/stream` (filtered on the server by run and
 * types) and keeps following across dropped connections and gateway restarts, resuming with
 * Last-Event-ID, so every event is shown once.
 */
export async function eventsTail(client: Client, output: Output, options: TailOptions): Promise<void> {
  const query = new URLSearchParams();
  if (options.run) query.set('run_id', options.run);
  if (options.swarm) query.set('swarm_id', options.swarm);
  if (options.types) query.set('types', options.types.replace(/\s+/g, ''));
  const qs = query.toString();
  const until = new Set((options.until ?? '').split(',').map((t) => t.trim()).filter(Boolean));
  let shown = 0;
  await followSse({
    client,
    path: `/v1/events/stream${qs ? `?${qs}` : ''}`,
    ...(options.from !== undefined ? { lastEventId: options.from } : {}),
    ...(options.retryMs !== undefined ? { retryMs: options.retryMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onReconnect: (attempt, last) => output.note(`connection lost; reconnecting (attempt ${attempt}${last ? `, after event ${last}` : ''})`),
    onEvent: (event) => {
      let envelope: Envelope = {};
      try {
        envelope = JSON.parse(event.data) as Envelope;
      } catch {
        // Shown as its type and id.
      }
      const type = event.event ?? envelope.type ?? 'message';
      output.line({ id: event.id === undefined ? null : Number(event.id), event: type, ...envelope }, () =>
        `${(event.id ?? '').padStart(6)}  ${shortTime(envelope.occurredAt)}  ${type.padEnd(18)}  ${describe(envelope.data)}`.trimEnd());
      shown++;
      return (options.limit !== undefined && shown >= options.limit) || until.has(type);
    },
  });
}
