import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api';
import { ErrorNote, LiveIndicator, Page, Status } from '../components/ui';
import { duration, shortId, text, usd, when } from '../format';
import { useApi, useEvents, useThrottled } from '../hooks';
import type { CadreEvent } from '../stream';
import type { RunView, StepView } from '../types';

interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly args: unknown;
  result?: unknown;
  isError?: boolean;
  durationMs?: number;
}

interface StepLive {
  output: string;
  thinking: string;
  tools: ToolCall[];
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  calls: number;
  status?: string;
}

const emptyStep = (): StepLive => ({ output: '', thinking: '', tools: [], inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 });

const STEP_STATUS: Readonly<Record<string, string>> = {
  step_queued: 'queued', step_started: 'running', step_complete: 'completed', step_failed: 'failed',
  step_retrying: 'retrying', step_cancelled: 'cancelled',
};

/** Folds one event of the run into the live state of its step. */
function apply(steps: Map<string, StepLive>, event: CadreEvent): void {
  const data = event.envelope.data as Record<string, unknown>;
  const stepId = typeof data.step_id === 'string' ? data.step_id : undefined;
  if (!stepId) return;
  let step = steps.get(stepId);
  if (!step) steps.set(stepId, (step = emptyStep()));
  switch (event.type) {
    case 'agent_output':
      step.output += String(data.chunk ?? '');
      break;
    case 'agent_thinking':
      step.thinking += String(data.chunk ?? '');
      break;
    case 'tool_call_start':
      step.tools.push({ id: String(data.tool_call_id), name: String(data.tool_name), args: data.args });
      break;
    case 'tool_call_end': {
      const call = step.tools.find((t) => t.id === data.tool_call_id);
      if (call) Object.assign(call, { result: data.result, isError: data.is_error === true, durationMs: Number(data.duration_ms) });
      break;
    }
    case 'llm_call':
      step.calls += 1;
      step.inputTokens += Number(data.input_tokens ?? 0);
      step.outputTokens += Number(data.output_tokens ?? 0);
      step.costUsd += Number(data.cost_usd ?? 0);
      break;
    case 'step_retrying':
      // The next attempt streams its output afresh (output chunks skip the event store, so they
      // may arrive before the step's own events: only a retry clears them).
      step.output = '';
      step.thinking = '';
      step.status = 'retrying';
      break;
    default:
      if (STEP_STATUS[event.type]) step.status = STEP_STATUS[event.type];
  }
}

function StepCard({ step, live }: { readonly step: StepView; readonly live: StepLive | undefined }) {
  const status = live?.status && step.status !== 'completed' && step.status !== 'failed' ? live.status : step.status;
  const outputs = Object.entries(step.outputs ?? {});
  return (
    <li className="step" data-step={step.step_id} data-status={status}>
      <div className="step-head">
        <h2>{step.step_id}</h2>
        <Status value={status} />
        <span className="muted">{step.agent_id ?? ''}{step.attempt > 1 ? ` · attempt ${step.attempt}` : ''}</span>
        <span className="muted">{step.started_at ? duration(step.started_at, step.completed_at) : ''}</span>
        {live && live.calls > 0 ? (
          <span className="muted" data-testid="tokens">{live.inputTokens} in / {live.outputTokens} out tokens · {usd(live.costUsd)}</span>
        ) : null}
      </div>
      {live?.thinking ? <details><summary>Thinking</summary><pre>{live.thinking}</pre></details> : null}
      {live && live.tools.length > 0 ? (
        <details>
          <summary>{live.tools.length} tool call{live.tools.length === 1 ? '' : 's'}</summary>
          <ul className="tools">
            {live.tools.map((tool) => (
              <li key={tool.id}>
                <strong>{tool.name}</strong> {tool.isError ? <Status value="failed" /> : null} {tool.durationMs !== undefined ? <span className="muted">{tool.durationMs} ms</span> : null}
                <pre>{text(tool.args)}</pre>
                {tool.result !== undefined ? <pre>{text(tool.result)}</pre> : null}
              </li>
            ))}
          </ul>
        </details>
      ) : null}
      {live?.output ? <pre className="output" aria-live={status === 'running' ? 'polite' : 'off'} data-testid="stream-output">{live.output}</pre> : null}
      {step.error ? <p className="error">{step.error}</p> : null}
      {outputs.length > 0 ? (
        <dl className="outputs" data-testid="outputs">
          {outputs.map(([name, value]) => (
            <div key={name}><dt>{name}</dt><dd><pre>{text(value)}</pre></dd></div>
          ))}
        </dl>
      ) : null}
    </li>
  );
}

/** One run: its steps as a timeline with the agents' output as it streams, model calls, outputs; cancel and restart. */
export function RunPage({ id }: { readonly id: string }) {
  const run = useApi<RunView>(`/v1/runs/${encodeURIComponent(id)}`);
  const reload = useThrottled(run.reload, 200);
  const steps = useRef(new Map<string, StepLive>());
  const pending = useRef<CadreEvent[]>([]);
  const frame = useRef<number>(undefined);
  const [, setVersion] = useState(0);
  const [actionError, setActionError] = useState<Error>();

  // Events are folded in batches, one render per animation frame, so a fast stream stays smooth.
  const onEvent = useCallback((event: CadreEvent) => {
    pending.current.push(event);
    if (!event.type.startsWith('agent_') && event.type !== 'llm_call' && !event.type.startsWith('tool_call')) reload();
    if (frame.current === undefined) {
      frame.current = requestAnimationFrame(() => {
        frame.current = undefined;
        for (const queued of pending.current.splice(0)) apply(steps.current, queued);
        setVersion((v) => v + 1);
      });
    }
  }, [reload]);
  useEffect(() => () => {
    if (frame.current !== undefined) cancelAnimationFrame(frame.current);
  }, []);
  const live = useEvents({ run_id: id }, onEvent, 0);

  const act = async (path: string, body?: unknown) => {
    setActionError(undefined);
    try {
      await api('POST', path, body === undefined ? {} : { body });
      run.reload();
    } catch (reason) {
      setActionError(reason as Error);
    }
  };

  const view = run.data;
  const totals = [...steps.current.values()].reduce((sum, s) => ({ tokens: sum.tokens + s.inputTokens + s.outputTokens, cost: sum.cost + s.costUsd }), { tokens: 0, cost: 0 });
  return (
    <Page
      title={`Run ${shortId(id)}`}
      actions={<>
        <LiveIndicator status={live} />
        {view && (view.status === 'running' || view.status === 'pending') ? <button type="button" onClick={() => void act(`/v1/runs/${id}/cancel`)}>Cancel</button> : null}
        {view && (view.status === 'failed' || view.status === 'cancelled') ? <button type="button" onClick={() => void act(`/v1/runs/${id}/restart`)}>Restart</button> : null}
        {view && view.status !== 'running' && view.status !== 'pending' ? <button type="button" onClick={() => void act(`/v1/runs/${id}/restart`, { from_start: true })}>Run again from start</button> : null}
      </>}
    >
      <ErrorNote error={run.error ?? actionError} />
      {view ? (
        <>
          <dl className="facts">
            <div><dt>Status</dt><dd data-testid="run-status"><Status value={view.status} /></dd></div>
            <div><dt>Pipeline</dt><dd>{view.pipeline_id}</dd></div>
            <div><dt>Created</dt><dd>{when(view.created_at)}</dd></div>
            <div><dt>Took</dt><dd>{view.completed_at ? duration(view.created_at, view.completed_at) : '—'}</dd></div>
            <div><dt>Model use</dt><dd>{totals.tokens} tokens · {usd(totals.cost)}</dd></div>
            {view.swarm_id ? <div><dt>Swarm</dt><dd><Link href={`/swarms/${view.swarm_id}`}>{shortId(view.swarm_id)}</Link></dd></div> : null}
          </dl>
          <p className="task">{view.task_description}</p>
          {view.error ? <p className="error">{view.error}</p> : null}
          <ol className="timeline" aria-label="Steps">
            {(view.steps ?? []).map((step) => <StepCard key={step.step_id} step={step} live={steps.current.get(step.step_id)} />)}
          </ol>
        </>
      ) : null}
    </Page>
  );
}
