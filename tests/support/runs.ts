import type { testing } from '@cadre/llm';
import type { RunView, StepView } from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { call } from './http';
import { openStream, type SseStream } from './sse';

/** Prices of the scripted models (USD per million tokens), so costs are known numbers. */
export const PRICES = { 'openai/gpt-test': { input: 2, output: 8 }, 'anthropic/claude-test': { input: 3, output: 15 } } as const;

export const costOf = (model: string, input: number, output: number): number => {
  const price = PRICES[model as keyof typeof PRICES];
  return (input * price.input + output * price.output) / 1_000_000;
};

/** Variables that point the agents service's providers at a scripted server. */
export function providerEnv(server: testing.ScriptedServer, apiKey = 'sk-test-key-0001'): Record<string, string> {
  return {
    OPENAI_BASE_URL: `${server.url}/v1`,
    OPENAI_API_KEY: apiKey,
    ANTHROPIC_BASE_URL: server.url,
    ANTHROPIC_API_KEY: 'ak-test-key-0002',
    CADRE_MODEL_PRICES: JSON.stringify(PRICES),
    CADRE_SECRET_KEY: 'a test key that is long enough to be used ok',
    AGENTS_OUTPUT_FLUSH_MS: '20',
    RUNS_SWEEP_INTERVAL_MS: '200',
  };
}

/** An event as the stream delivers it: the SSE id and type, and the envelope it carries. */
export interface StreamedEvent {
  readonly id: number;
  readonly type: string;
  readonly occurredAt: string;
  readonly data: Record<string, unknown>;
}

export const parseEvents = (stream: SseStream): StreamedEvent[] => stream.events.map((event) => {
  const envelope = JSON.parse(event.data) as { occurredAt: string; data: Record<string, unknown> };
  return { id: event.id, type: event.event, occurredAt: envelope.occurredAt, data: envelope.data };
});

/** `POST /v1/pipelines` with a definition; throws unless 201. */
export async function createPipeline(baseUrl: string, token: string, definition: object): Promise<void> {
  const reply = await call(baseUrl, 'POST', '/v1/pipelines', { token, body: definition });
  if (reply.status !== 201) throw new Error(`create pipeline: ${reply.status} ${JSON.stringify(reply.body)}`);
}

/** `POST /v1/runs`; the run as created. */
export async function createRun(baseUrl: string, token: string, body: { pipeline_id: string; task_description: string; human_context?: string; project_name?: string }): Promise<RunView> {
  const reply = await call<RunView>(baseUrl, 'POST', '/v1/runs', { token, body });
  if (reply.status !== 201) throw new Error(`create run: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export async function getRun(baseUrl: string, token: string, runId: string): Promise<RunView> {
  const reply = await call<RunView>(baseUrl, 'GET', `/v1/runs/${runId}`, { token });
  if (reply.status !== 200) throw new Error(`get run: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export async function getStep(baseUrl: string, token: string, runId: string, stepId: string): Promise<StepView> {
  const reply = await call<StepView>(baseUrl, 'GET', `/v1/steps/${runId}/${stepId}`, { token });
  if (reply.status !== 200) throw new Error(`get step: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** Polls `GET /v1/runs/{id}` until the run has `status`. */
export function waitForRunStatus(baseUrl: string, token: string, runId: string, status: RunView['status'], timeoutMs = 20_000): Promise<RunView> {
  return eventually(async () => {
    const run = await getRun(baseUrl, token, runId);
    expect(run.status).toBe(status);
    return run;
  }, timeoutMs, 50);
}

/** Follows the run's events from the start of the stream (`Last-Event-ID: 0`, `?run_id=`). */
export function followRun(baseUrl: string, token: string, runId: string): Promise<SseStream> {
  return openStream(baseUrl, { token, lastEventId: 0, query: { run_id: runId } });
}

/** Waits until an event of `type` is on the stream; the events so far. */
export function waitForEvent(stream: SseStream, type: string, timeoutMs = 20_000): Promise<StreamedEvent[]> {
  return eventually(() => {
    const events = parseEvents(stream);
    expect(events.map((e) => e.type)).toContain(type);
    return events;
  }, timeoutMs, 25);
}

/** The run's own lifecycle, `type` or `type:step#attempt`, without activity lines or agent events. */
export const lifecycle = (events: readonly StreamedEvent[]): string[] => events
  .filter((e) => e.type.startsWith('run_') || e.type.startsWith('step_'))
  .map((e) => (e.data.step_id !== undefined && e.type.startsWith('step_') ? `${e.type}:${String(e.data.step_id)}#${String(e.data.attempt ?? '')}` : e.type));
