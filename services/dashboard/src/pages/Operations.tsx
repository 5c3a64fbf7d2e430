import { useEffect, useRef, useState } from 'react';
import { BarChart, hourly } from '../components/Chart';
import { Empty, ErrorNote, LiveIndicator, Page, Status } from '../components/ui';
import { usd, when } from '../format';
import { useApi } from '../hooks';
import { openStream, type StreamStatus } from '../stream';

interface Container {
  readonly id: string;
  readonly service: string;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  readonly transport: string;
  readonly started_at: string;
  readonly last_heartbeat: string;
  readonly status: 'live' | 'stale';
}

interface LogLine {
  readonly seq: number;
  readonly time?: string | number;
  readonly level?: string | number;
  readonly msg?: string;
  readonly [key: string]: unknown;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
const MAX_LINES = 1000;

/** The live tail of one instance's log (SSE), with a level filter; resumes after a drop with Last-Event-ID. */
function LogTail({ instance }: { readonly instance: string }) {
  const [level, setLevel] = useState('info');
  const [lines, setLines] = useState<LogLine[]>([]);
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    setLines([]);
    return openStream<LogLine>({
      path: `/v1/admin/containers/${encodeURIComponent(instance)}/logs`,
      params: { tail: '200', level },
      onStatus: setStatus,
      onMessage: (message) => {
        if (message.event !== 'log' || typeof message.data !== 'object') return;
        setLines((current) => [...current.slice(-(MAX_LINES - 1)), message.data]);
      },
    });
  }, [instance, level]);
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow]);
  return (
    <section className="card" aria-labelledby="log-title">
      <div className="page-header">
        <h2 id="log-title">Log of {instance}</h2>
        <div className="actions">
          <LiveIndicator status={status} />
          <label>Level
            <select value={level} onChange={(e) => setLevel(e.target.value)}>
              {LEVELS.map((l) => <option key={l} value={l}>{l} and above</option>)}
            </select>
          </label>
          <label className="inline"><input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow</label>
        </div>
      </div>
      <div className="log" ref={box} tabIndex={0} role="log" aria-label={`Log lines of ${instance}`} data-testid="log">
        {lines.length === 0 ? <p className="muted">No lines yet.</p> : null}
        {lines.map((line) => {
          const { seq, time, level: lineLevel, msg, ...rest } = line;
          delete (rest as Record<string, unknown>).service;
          delete (rest as Record<string, unknown>).instance;
          delete (rest as Record<string, unknown>).pid;
          delete (rest as Record<string, unknown>).hostname;
          return (
            <div key={seq} className={`line level-${String(lineLevel)}`}>
              <span className="muted">{typeof time === 'string' ? time.slice(11, 23) : typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : ''}</span>{' '}
              <strong>{String(lineLevel ?? '')}</strong> {msg ?? ''} <span className="muted">{JSON.stringify(rest)}</span>
            </div>
          );
        })}
      </div>
    </section>
  );
}

interface LlmCall { readonly created_at: string; readonly total_tokens: number; readonly cost_usd: number; readonly model: string; readonly provider: string }
interface TtsCall { readonly created_at: string; readonly kind: 'tts' | 'stt'; readonly input_characters: number; readonly ok: boolean }

function Usage() {
  const llm = useApi<{ calls: LlmCall[]; total: number }>('/v1/llm-calls?limit=500');
  const tts = useApi<{ calls: TtsCall[]; total: number; summary: { call_count: number; failed_count: number; total_cost_usd: number } }>('/v1/admin/tts-calls?limit=200');
  const tokens = hourly(llm.data?.calls ?? [], (c) => c.created_at, (c) => c.total_tokens);
  const calls = hourly(llm.data?.calls ?? [], (c) => c.created_at, () => 1);
  const speech = hourly((tts.data?.calls ?? []).filter((c) => c.kind === 'tts'), (c) => c.created_at, (c) => c.input_characters);
  const heard = hourly((tts.data?.calls ?? []).filter((c) => c.kind === 'stt'), (c) => c.created_at, () => 1);
  const cost = (llm.data?.calls ?? []).reduce((sum, c) => sum + c.cost_usd, 0);
  return (
    <section aria-labelledby="usage-title">
      <h2 id="usage-title">Usage, last 24 hours</h2>
      {llm.error ? <p className="error" role="alert">Model calls: {llm.error.message}</p> : null}
      {tts.error ? <p className="error" role="alert">Speech calls: {tts.error.message}{tts.error.message === 'Service unavailable' ? ' (is the voice service running?)' : ''}</p> : null}
      <p>{llm.data ? `${llm.data.total} model calls in all; the latest ${llm.data.calls.length} cost ${usd(cost)}.` : ''} {tts.data ? `${tts.data.summary.call_count} speech calls (${tts.data.summary.failed_count} failed).` : ''}</p>
      <div className="two">
        <BarChart title="Model calls and tokens (thousands) per hour" labels={tokens.labels}
          series={[{ label: 'calls', values: calls.values, color: '#1d4ed8' }, { label: 'k tokens', values: tokens.values.map((v) => Math.round(v / 100) / 10), color: '#15803d' }]} />
        <BarChart title="Speech per hour" labels={speech.labels}
          series={[{ label: 'characters spoken', values: speech.values, color: '#7c3aed' }, { label: 'transcriptions', values: heard.values, color: '#b45309' }]} />
      </div>
    </section>
  );
}

/** Admin: the service instances (from their heartbeats), a live log tail of any of them, usage charts. */
export function OperationsPage() {
  const containers = useApi<{ containers: Container[] }>('/v1/admin/containers');
  const [selected, setSelected] = useState<string>();
  useEffect(() => {
    const timer = setInterval(containers.reload, 10_000);
    return () => clearInterval(timer);
  }, [containers.reload]);
  const list = containers.data?.containers ?? [];
  return (
    <Page title="Operations">
      <ErrorNote error={containers.error} />
      <section aria-labelledby="instances-title">
        <h2 id="instances-title">Service instances</h2>
        {list.length === 0 && containers.data ? <Empty>No instance has announced itself yet.</Empty> : null}
        <div className="table-wrap">
          <table aria-label="Service instances">
            <thead><tr><th scope="col">Instance</th><th scope="col">Service</th><th scope="col">Status</th><th scope="col">Host / pid</th><th scope="col">Started</th><th scope="col">Log</th></tr></thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.id} data-instance={c.id}>
                  <td>{c.id}</td>
                  <td>{c.service}</td>
                  <td><Status value={c.status} /></td>
                  <td>{c.host} / {c.pid}</td>
                  <td>{when(c.started_at)}</td>
                  <td><button type="button" onClick={() => setSelected(c.id)} aria-pressed={selected === c.id} aria-label={`Tail the log of ${c.id}`}>Tail</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {selected ? <LogTail key={selected} instance={selected} /> : null}
      <Usage />
    </Page>
  );
}
