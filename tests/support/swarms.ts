import type { SwarmLaunch, SwarmTaskView, SwarmView } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { call } from './http';
import { parseEvents, type StreamedEvent } from './runs';
import { openStream, type SseStream } from './sse';

/** A task of a launch request. */
export const swarmTask = (key: string, dependencies: string[] = [], extra: Record<string, unknown> = {}) =>
  ({ key, title: `Task ${key}`, execution_prompt: `Do ${key}.`, dependencies, ...extra });

/** `POST /v1/swarm/execute`; the launch reply (throws unless 201). */
export async function launchSwarm(baseUrl: string, token: string, body: Record<string, unknown>): Promise<SwarmLaunch> {
  const reply = await call<SwarmLaunch>(baseUrl, 'POST', '/v1/swarm/execute', { token, body });
  if (reply.status !== 201) throw new Error(`launch swarm: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export async function getSwarm(baseUrl: string, token: string, swarmId: string): Promise<SwarmView> {
  const reply = await call<SwarmView>(baseUrl, 'GET', `/v1/swarm/${swarmId}`, { token });
  if (reply.status !== 200) throw new Error(`get swarm: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export async function swarmTasks(baseUrl: string, token: string, swarmId: string): Promise<Record<string, SwarmTaskView>> {
  const reply = await call<{ tasks: SwarmTaskView[] }>(baseUrl, 'GET', `/v1/swarm/${swarmId}/tasks`, { token });
  if (reply.status !== 200) throw new Error(`swarm tasks: ${reply.status} ${JSON.stringify(reply.body)}`);
  return Object.fromEntries(reply.body.tasks.map((t) => [t.key, t]));
}

/**
 * Polls `GET /v1/swarm/{id}` until the swarm has `status`. Should it never, the failure says where
 * the swarm stands: each task, and each of its runs with its steps (a test that hangs explains itself).
 */
export async function waitForSwarmStatus(baseUrl: string, token: string, swarmId: string, status: SwarmView['status'], timeoutMs = 30_000): Promise<SwarmView> {
  try {
    return await eventually(async () => {
      const swarm = await getSwarm(baseUrl, token, swarmId);
      expect(swarm.status).toBe(status);
      return swarm;
    }, timeoutMs, 50);
  } catch (error) {
    const where = await whereSwarmStands(baseUrl, token, swarmId).catch((err: unknown) => `(not read: ${String(err)})`);
    if (error instanceof Error) error.message += `\n\nswarm ${swarmId} as the wait ended:\n${where}`;
    throw error;
  }
}

async function whereSwarmStands(baseUrl: string, token: string, swarmId: string): Promise<string> {
  const tasks = await swarmTasks(baseUrl, token, swarmId);
  const lines = await Promise.all(Object.values(tasks).map(async (task) => {
    const runs = await Promise.all((task.run_ids ?? []).map(async (runId) => {
      const reply = await call<{ status?: string; steps?: Array<{ step_id: string; status: string; attempt?: number }> }>(baseUrl, 'GET', `/v1/runs/${runId}`, { token });
      const steps = (reply.body.steps ?? []).map((s) => `${s.step_id}#${s.attempt ?? 1} ${s.status}`).join(', ');
      return `    run ${runId}: ${reply.status === 200 ? `${reply.body.status} [${steps}]` : `HTTP ${reply.status}`}`;
    }));
    return [`  task ${task.key}: ${task.status}, attempts ${task.attempts}`, ...runs].join('\n');
  }));
  return lines.join('\n');
}

/** Follows one swarm's events from the start of the stream (`?swarm_id=`). */
export function followSwarm(baseUrl: string, token: string, swarmId: string): Promise<SseStream> {
  return openStream(baseUrl, { token, lastEventId: 0, query: { swarm_id: swarmId } });
}

/** Waits until the stream holds an event of `type`; the events so far. */
export function waitForSwarmEvent(stream: SseStream, type: string, timeoutMs = 30_000): Promise<StreamedEvent[]> {
  return eventually(() => {
    const events = parseEvents(stream);
    expect(events.map((e) => e.type)).toContain(type);
    return events;
  }, timeoutMs, 25);
}

/** The swarm's own lifecycle as `type` or `type:key`. */
export const swarmLifecycle = (events: readonly StreamedEvent[]): string[] => events
  .filter((e) => e.type.startsWith('swarm_'))
  .map((e) => (typeof e.data.task_key === 'string' ? `${e.type}:${e.data.task_key}` : e.type));

/**
 * The most tasks running at once, counted from the events in stream order: +1 on
 * `swarm_task_started`, -1 when that attempt completes, fails, retries or is cancelled.
 */
export function peakRunning(events: readonly StreamedEvent[]): number {
  const running = new Set<string>();
  let peak = 0;
  for (const event of events) {
    const key = String(event.data.task_key);
    if (event.type === 'swarm_task_started') running.add(key);
    else if (['swarm_task_complete', 'swarm_task_failed', 'swarm_task_retrying'].includes(event.type)) running.delete(key);
    else if (event.type === 'swarm_cancelled' || event.type === 'swarm_failed' || event.type === 'swarm_completed') running.clear();
    peak = Math.max(peak, running.size);
  }
  return peak;
}
