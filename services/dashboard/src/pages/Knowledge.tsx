import { type FormEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'wouter';
import { api, ApiError } from '../api';
import { Graph } from '../components/Graph';
import { Empty, ErrorNote, LiveIndicator, Page, Status } from '../components/ui';
import { when } from '../format';
import { useApi, useEvents } from '../hooks';
import type { CadreEvent } from '../stream';
import type { Project } from './Projects';

// A project's code knowledge graph (docs/knowledge.md): index it with live progress, its
// communities as a graph, a symbol's context and impact, and search or the query language.

type Counts = Readonly<Partial<Record<string, number>>>;
interface Job {
  readonly job_id: string; readonly status: 'queued' | 'running' | 'complete' | 'failed'; readonly phase: string;
  readonly counts: Counts; readonly errors: string[]; readonly started_at: string; readonly finished_at: string | null; readonly worker: string | null;
}
interface GraphStatus { readonly indexed: boolean; readonly indexed_at: string | null; readonly counts: Counts; readonly modularity: number | null; readonly job: Job | null }
interface Sym {
  readonly id: number; readonly label: string; readonly name: string; readonly qualified_name: string; readonly file: string | null;
  readonly start_line: number | null; readonly signature: string; readonly doc: string; readonly community: number | null;
}
interface Related extends Sym { readonly confidence: number; readonly reason: string }
interface Community { readonly id: number; readonly label: string; readonly cohesion: number; readonly size: number; readonly top_symbols: string[] }
interface GraphData { readonly nodes: Sym[]; readonly edges: { source: number; target: number; type: string; confidence: number }[] }
interface Context {
  readonly symbol: Sym; readonly callers: Related[]; readonly callees: Related[]; readonly extends: Related[]; readonly implemented_by: Related[];
  readonly imports: string[]; readonly imported_by: string[]; readonly community: Omit<Community, 'top_symbols'> | null;
  readonly processes: { id: number; name: string; step: number }[];
}
interface Impact {
  readonly target: Sym; readonly direction: 'upstream' | 'downstream'; readonly risk: string;
  readonly summary: { direct: number; total: number; affected_processes: number };
  readonly by_depth: { depth: number; symbols: Related[] }[]; readonly affected_processes: { id: number; name: string }[];
}
interface Candidate { readonly qualified_name: string; readonly label: string; readonly file: string; readonly line: number | null; readonly symbol: string }
interface Cypher { readonly columns: string[]; readonly rows: Record<string, unknown>[]; readonly row_count: number; readonly truncated: boolean }
interface Search { readonly results: (Sym & { score: number })[] }

/** The phases of an index job, in order: the progress bar's steps. */
const PHASES = ['queued', 'scanning', 'parsing', 'imports', 'calls', 'heritage', 'communities', 'processes', 'search', 'storing', 'complete'];
const INDEX_EVENTS = 'code_graph_index_started,code_graph_index_progress,code_graph_index_complete,code_graph_index_failed';
const POLL_MS = 2_000;
// Community colours: dark enough for the white labels drawn on them.
const PALETTE = ['#1d4ed8', '#15803d', '#b45309', '#7c3aed', '#be123c', '#0f766e', '#4d7c0f', '#9333ea', '#c2410c', '#0369a1', '#a21caf', '#374151'];

const where = (s: { file: string | null; start_line: number | null }) => (s.file ? `${s.file}${s.start_line ? `:${s.start_line}` : ''}` : '—');
const cell = (value: unknown): string => (value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

/** The index job: start it, and its phase and counts as they change (the stream, else the job route polled). */
function IndexPanel({ base, projectId, initial, onComplete }: {
  readonly base: string; readonly projectId: string; readonly initial: Job | null; readonly onComplete: () => void;
}) {
  const [job, setJob] = useState<Job | null>(initial);
  const [error, setError] = useState<Error>();
  const [force, setForce] = useState(false);
  const current = useRef(job);
  current.current = job;
  // A newer answer of the status route (after a completion) replaces what the page showed of that job.
  useEffect(() => {
    if (initial && (!current.current || current.current.job_id === initial.job_id)) setJob(initial);
  }, [initial]);
  const running = job !== null && (job.status === 'queued' || job.status === 'running');
  const ended = (j: Job | null) => j !== null && (j.status === 'complete' || j.status === 'failed');

  const read = useCallback(async (jobId: string) => {
    try {
      const fresh = await api<Job>('GET', `${base}/index/${encodeURIComponent(jobId)}`);
      // An answer older than what the stream already showed (the job ended meanwhile) is dropped.
      setJob((now) => (now && (now.job_id !== jobId || (ended(now) && !ended(fresh))) ? now : fresh));
      if (fresh.status === 'complete') onComplete();
    } catch (reason) {
      setError(reason as Error);
    }
  }, [base, onComplete]);

  const onEvent = (event: CadreEvent) => {
    const data = event.envelope.data as { job_id?: string; phase?: string; counts?: Counts; error?: string; errors?: string[]; force?: boolean };
    const jobId = data.job_id;
    if (!jobId) return;
    if (event.type === 'code_graph_index_started') {
      // A job started elsewhere (the CLI, an agent) while nothing runs here: follow it.
      setJob((now) => (now && !ended(now) ? now : {
        job_id: jobId, status: 'queued', phase: 'queued', counts: {}, errors: [], started_at: event.envelope.occurredAt, finished_at: null, worker: null,
      }));
      return;
    }
    if (current.current?.job_id !== jobId) return;
    if (event.type === 'code_graph_index_progress') {
      setJob((now) => (now && now.job_id === jobId && !ended(now) ? { ...now, status: 'running', phase: data.phase ?? now.phase, counts: data.counts ?? now.counts } : now));
    } else if (event.type === 'code_graph_index_complete') {
      setJob((now) => (now && now.job_id === jobId ? {
        ...now, status: 'complete', phase: 'complete', counts: data.counts ?? now.counts, errors: data.errors ?? now.errors, finished_at: event.envelope.occurredAt,
      } : now));
      onComplete();
    } else if (event.type === 'code_graph_index_failed') {
      setJob((now) => (now && now.job_id === jobId ? { ...now, status: 'failed', phase: 'failed', errors: data.error ? [data.error] : now.errors, finished_at: event.envelope.occurredAt } : now));
    }
  };
  const live = useEvents({ project_id: projectId, types: INDEX_EVENTS }, onEvent);
  const jobId = job?.job_id;
  // When the stream (re)connects, whatever happened before it did is read once from the job route.
  useEffect(() => {
    if (live === 'live' && jobId && !ended(current.current)) void read(jobId);
  }, [live, jobId, read]);
  // Without a live stream, the job route is polled until the job ends.
  useEffect(() => {
    if (!running || !jobId || live === 'live') return;
    const timer = setInterval(() => void read(jobId), POLL_MS);
    return () => clearInterval(timer);
  }, [running, jobId, live, read]);

  const start = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    try {
      const started = await api<{ job_id: string; status: string }>('POST', `${base}/index`, { body: { force } });
      setJob({ job_id: started.job_id, status: 'queued', phase: 'queued', counts: {}, errors: [], started_at: new Date().toISOString(), finished_at: null, worker: null });
      void read(started.job_id);
    } catch (reason) {
      setError(reason as Error);
    }
  };

  const step = job ? (job.status === 'complete' ? PHASES.length - 1 : Math.max(0, PHASES.indexOf(job.phase))) : 0;
  const c = job?.counts ?? {};
  return (
    <section aria-labelledby="index-title" className="card">
      <div className="page-header">
        <h2 id="index-title">Index</h2>
        <LiveIndicator status={live} />
      </div>
      <form onSubmit={(e) => void start(e)} className="inline-form">
        <label className="inline"><input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />Parse every file again</label>
        <button type="submit" disabled={running}>{running ? 'Indexing…' : 'Index repository'}</button>
      </form>
      <ErrorNote error={error} />
      {job ? (
        <div data-testid="index-job" data-status={job.status} data-phase={job.phase}>
          <p><Status value={job.status} /> <span>Phase: <strong>{job.phase}</strong></span> <span className="muted">job {job.job_id}{job.worker ? ` on ${job.worker}` : ''}</span></p>
          <progress className="progress" max={PHASES.length - 1} value={job.status === 'failed' ? 0 : step} aria-label="Index progress"
            aria-valuetext={`${job.phase}, step ${step} of ${PHASES.length - 1}`} />
          <dl className="facts">
            <div><dt>Files</dt><dd>{c.files_parsed ?? 0} parsed, {c.files_reused ?? 0} reused of {c.files_total ?? '…'}</dd></div>
            <div><dt>Skipped</dt><dd>{(c.skipped_too_large ?? 0) + (c.skipped_binary ?? 0) + (c.skipped_vendored ?? 0) + (c.skipped_unsupported ?? 0)}</dd></div>
            <div><dt>Symbols</dt><dd>{c.symbols ?? '…'}</dd></div>
            <div><dt>Edges</dt><dd>{c.edges ?? '…'}</dd></div>
            <div><dt>Communities</dt><dd>{c.communities ?? '…'}</dd></div>
            <div><dt>Processes</dt><dd>{c.processes ?? '…'}</dd></div>
            <div><dt>Unresolved calls</dt><dd>{c.unresolved_calls ?? '…'}</dd></div>
          </dl>
          {job.errors.length ? (
            <details><summary>{job.errors.length} problems</summary><ul>{job.errors.map((e) => <li key={e} className="mono">{e}</li>)}</ul></details>
          ) : null}
        </div>
      ) : <Empty>Not indexed yet.</Empty>}
    </section>
  );
}

/** Communities as a graph (linked where calls cross them); select one for its members and their calls. */
function Communities({ base, onSymbol }: { readonly base: string; readonly onSymbol: (name: string) => void }) {
  const communities = useApi<{ communities: Community[]; modularity: number }>(`${base}/communities`);
  const data = useApi<GraphData>(`${base}/graph-data?limit=2000`);
  const [open, setOpen] = useState<number>();
  const members = useApi<GraphData>(open !== undefined ? `${base}/graph-data?community=${open}&limit=300` : null);
  const list = communities.data?.communities ?? [];
  const color = (id: number) => PALETTE[(id - 1 + PALETTE.length) % PALETTE.length];
  const links = useMemo(() => {
    const of = new Map((data.data?.nodes ?? []).map((n) => [n.id, n.community]));
    const pairs = new Set<string>();
    for (const e of data.data?.edges ?? []) {
      const a = of.get(e.source);
      const b = of.get(e.target);
      if (a && b && a !== b) pairs.add(`${a}>${b}`);
    }
    return [...pairs].map((p) => p.split('>')).map(([from, to]) => ({ from: `c${from}`, to: `c${to}` }));
  }, [data.data]);
  const memberEdges = useMemo(() => {
    const seen = new Set<string>();
    return (members.data?.edges ?? []).filter((e) => e.source !== e.target && !seen.has(`${e.source}>${e.target}`) && seen.add(`${e.source}>${e.target}`))
      .map((e) => ({ from: String(e.source), to: String(e.target) }));
  }, [members.data]);
  const chosen = list.find((c) => c.id === open);
  return (
    <section aria-labelledby="communities-title">
      <h2 id="communities-title">Communities</h2>
      <ErrorNote error={communities.error ?? data.error} />
      {communities.data ? <p className="muted">{list.length} communities, modularity {communities.data.modularity.toFixed(3)}. Drag to pan, wheel or pinch to zoom; select a community for its members.</p> : null}
      {list.length > 0 ? (
        <Graph layout="cose" label={`${list.length} communities and ${links.length} links between them`}
          nodes={list.map((c) => ({ id: `c${c.id}`, label: `${c.label} (${c.size})`, color: color(c.id) }))}
          edges={links} onSelect={(id) => setOpen(Number(id.slice(1)))} />
      ) : null}
      <div className="table-wrap">
        <table aria-label="Communities">
          <thead><tr><th scope="col">Community</th><th scope="col">Size</th><th scope="col">Cohesion</th><th scope="col">Most called</th></tr></thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.id} data-community={c.id}>
                <td><button type="button" className="link" aria-pressed={open === c.id} onClick={() => setOpen(open === c.id ? undefined : c.id)}>{c.label}</button></td>
                <td>{c.size}</td><td>{c.cohesion.toFixed(2)}</td>
                <td>{c.top_symbols.map((s, i) => <span key={s}>{i ? ', ' : ''}<button type="button" className="link" onClick={() => onSymbol(s)}>{s}</button></span>)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {chosen && members.data ? (
        <>
          <h3>{chosen.label}: {members.data.nodes.length} members</h3>
          <Graph layout="cose" label={`${members.data.nodes.length} members of ${chosen.label} and ${memberEdges.length} links`}
            nodes={members.data.nodes.map((n) => ({ id: String(n.id), label: n.qualified_name, color: color(chosen.id) }))}
            edges={memberEdges} onSelect={(id) => {
              const node = members.data?.nodes.find((n) => String(n.id) === id);
              if (node?.file) onSymbol(`${node.file}#${node.qualified_name}`);
            }} />
        </>
      ) : null}
    </section>
  );
}

function SymbolButton({ symbol, onSymbol }: { readonly symbol: Sym; readonly onSymbol: (name: string) => void }) {
  return <button type="button" className="link" onClick={() => onSymbol(symbol.file ? `${symbol.file}#${symbol.qualified_name}` : symbol.qualified_name)}>{symbol.qualified_name}</button>;
}

function RelatedTable({ title, rows, onSymbol, testId }: { readonly title: string; readonly rows: readonly Related[]; readonly onSymbol: (name: string) => void; readonly testId: string }) {
  return (
    <div data-testid={testId}>
      <h4>{title} <span className="muted">{rows.length}</span></h4>
      {rows.length === 0 ? <Empty>None.</Empty> : (
        <div className="table-wrap">
          <table aria-label={title}>
            <thead><tr><th scope="col">Symbol</th><th scope="col">Where</th><th scope="col">Confidence</th><th scope="col">Why</th></tr></thead>
            <tbody>
              {rows.map((s) => (
                <tr key={`${s.id}-${s.reason}`} data-symbol={s.qualified_name}>
                  <td><SymbolButton symbol={s} onSymbol={onSymbol} /> <span className="muted">{s.label}</span></td>
                  <td className="mono">{where(s)}</td><td>{s.confidence.toFixed(2)}</td><td>{s.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** Lists the candidates of an ambiguous name, each one a button that picks it. */
function Ambiguous({ error, onSymbol }: { readonly error: ApiError; readonly onSymbol: (name: string) => void }) {
  const candidates = (error.details as { candidates?: Candidate[] } | undefined)?.candidates ?? [];
  return (
    <div role="alert">
      <p className="error">{error.message}</p>
      <ul data-testid="candidates">
        {candidates.map((c) => (
          <li key={c.symbol}><button type="button" className="link" onClick={() => onSymbol(c.symbol)}>{c.qualified_name}</button> <span className="muted">{c.label} · {c.file}{c.line ? `:${c.line}` : ''}</span></li>
        ))}
      </ul>
    </div>
  );
}

/** A symbol's context (callers, callees, bases, imports, community, processes) and what a change to it affects. */
function SymbolPanel({ base, symbol, onSymbol }: { readonly base: string; readonly symbol: string; readonly onSymbol: (name: string) => void }) {
  const [direction, setDirection] = useState<'upstream' | 'downstream'>('upstream');
  const [depth, setDepth] = useState(3);
  const [confidence, setConfidence] = useState(0.7);
  const context = useApi<Context>(symbol ? `${base}/context/${encodeURIComponent(symbol)}` : null);
  const [impact, setImpact] = useState<Impact>();
  const [impactError, setImpactError] = useState<Error>();
  const [draft, setDraft] = useState(symbol);
  useEffect(() => {
    setDraft(symbol);
    setImpact(undefined);
    setImpactError(undefined);
  }, [symbol]);
  const analyse = async (event: FormEvent) => {
    event.preventDefault();
    setImpactError(undefined);
    try {
      setImpact(await api<Impact>('POST', `${base}/impact`, { body: { target: symbol, direction, max_depth: depth, min_confidence: confidence } }));
    } catch (reason) {
      setImpact(undefined);
      setImpactError(reason as Error);
    }
  };
  const ctx = symbol ? context.data : undefined;
  const ambiguous = context.error instanceof ApiError && context.error.code === 'ambiguous_symbol' ? context.error : undefined;
  return (
    <section aria-labelledby="symbol-title">
      <h2 id="symbol-title">Symbol</h2>
      <form className="inline-form" onSubmit={(e) => { e.preventDefault(); onSymbol(draft.trim()); }}>
        <label>Symbol (name, Class.method or path#name)<input name="symbol" value={draft} onChange={(e) => setDraft(e.target.value)} required maxLength={500} /></label>
        <button type="submit">Show context</button>
      </form>
      {ambiguous ? <Ambiguous error={ambiguous} onSymbol={onSymbol} /> : <ErrorNote error={symbol ? context.error : undefined} />}
      {ctx && !context.error ? (
        <div className="card" data-testid="context">
          <h3>{ctx.symbol.qualified_name} <span className="muted">{ctx.symbol.label} · {where(ctx.symbol)}</span></h3>
          {ctx.symbol.signature ? <pre className="mono">{ctx.symbol.signature}</pre> : null}
          {ctx.symbol.doc ? <p>{ctx.symbol.doc}</p> : null}
          <dl className="facts">
            <div><dt>Community</dt><dd>{ctx.community ? `${ctx.community.label} (${ctx.community.size}, cohesion ${ctx.community.cohesion.toFixed(2)})` : '—'}</dd></div>
            <div><dt>Processes</dt><dd>{ctx.processes.length ? ctx.processes.map((p) => `${p.name} (step ${p.step})`).join('; ') : '—'}</dd></div>
            <div><dt>Its file imports</dt><dd>{ctx.imports.join(', ') || '—'}</dd></div>
            <div><dt>Imported by</dt><dd>{ctx.imported_by.join(', ') || '—'}</dd></div>
          </dl>
          <div className="two">
            <RelatedTable title="Callers" rows={ctx.callers} onSymbol={onSymbol} testId="callers" />
            <RelatedTable title="Callees" rows={ctx.callees} onSymbol={onSymbol} testId="callees" />
            {ctx.extends.length ? <RelatedTable title="Extends" rows={ctx.extends} onSymbol={onSymbol} testId="extends" /> : null}
            {ctx.implemented_by.length ? <RelatedTable title="Subtypes and implementers" rows={ctx.implemented_by} onSymbol={onSymbol} testId="implemented-by" /> : null}
          </div>
          <h3>Impact</h3>
          <form className="inline-form" onSubmit={(e) => void analyse(e)}>
            <label>Direction
              <select value={direction} onChange={(e) => setDirection(e.target.value as 'upstream' | 'downstream')}>
                <option value="upstream">upstream (what calls it)</option>
                <option value="downstream">downstream (what it uses)</option>
              </select>
            </label>
            <label>Depth<input type="number" min={1} max={10} value={depth} onChange={(e) => setDepth(Number(e.target.value))} /></label>
            <label>Minimum confidence<input type="number" min={0} max={1} step={0.05} value={confidence} onChange={(e) => setConfidence(Number(e.target.value))} /></label>
            <button type="submit">Analyse impact</button>
          </form>
          <ErrorNote error={impactError} />
          {impact ? (
            <div data-testid="impact">
              <p>Risk <span className={`badge risk-${impact.risk.toLowerCase()}`} data-risk={impact.risk}>{impact.risk}</span>{' '}
                {impact.summary.direct} direct, {impact.summary.total} in all, {impact.summary.affected_processes} processes affected</p>
              {impact.by_depth.map((level) => (
                <RelatedTable key={level.depth} title={`Depth ${level.depth}`} rows={level.symbols} onSymbol={onSymbol} testId={`depth-${level.depth}`} />
              ))}
              {impact.affected_processes.length ? <p>Processes: {impact.affected_processes.map((p) => p.name).join('; ')}</p> : null}
            </div>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

/** Search (words) or the read-only query language (a statement starting with MATCH), rows as a table. */
function QueryBox({ base, onSymbol }: { readonly base: string; readonly onSymbol: (name: string) => void }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ kind: 'cypher'; reply: Cypher } | { kind: 'search'; reply: Search }>();
  const [error, setError] = useState<Error>();
  const run = async (event: FormEvent) => {
    event.preventDefault();
    const statement = text.trim();
    if (!statement) return;
    setBusy(true);
    setError(undefined);
    try {
      setResult(/^match\b/i.test(statement)
        ? { kind: 'cypher', reply: await api<Cypher>('POST', `${base}/cypher`, { body: { query: statement } }) }
        : { kind: 'search', reply: await api<Search>('POST', `${base}/query`, { body: { query: statement, limit: 25 } }) });
    } catch (reason) {
      setResult(undefined);
      setError(reason as Error);
    } finally {
      setBusy(false);
    }
  };
  const refused = error instanceof ApiError && error.status === 400 ? error : undefined;
  return (
    <section aria-labelledby="query-title">
      <h2 id="query-title">Query</h2>
      <form onSubmit={(e) => void run(e)} className="stack" role="search">
        <label>Words to search, or a query (MATCH … RETURN …)
          <textarea name="query" rows={3} className="mono" value={text} onChange={(e) => setText(e.target.value)} required maxLength={10_000}
            aria-describedby="query-help"
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void run(e);
            }} />
        </label>
        <p id="query-help" className="muted">Read-only: MATCH, WHERE, RETURN, ORDER BY, SKIP, LIMIT. Ctrl+Enter runs it. Example: <code>MATCH (f:Function)-[:CALLS]-&gt;(g) RETURN f.name, g.name LIMIT 20</code></p>
        <div><button type="submit" disabled={busy}>{busy ? 'Running…' : 'Run'}</button></div>
      </form>
      {refused ? (
        <div role="alert" className="query-error" data-testid="query-error">
          <p className="error">Query refused{refused.code ? ` (${refused.code})` : ''}: {refused.message}</p>
          {refused.details ? <pre className="mono">{JSON.stringify(refused.details, null, 2)}</pre> : null}
        </div>
      ) : <ErrorNote error={error} />}
      {result?.kind === 'cypher' ? (
        <>
          <p className="muted" role="status">{result.reply.row_count} {result.reply.row_count === 1 ? 'row' : 'rows'}{result.reply.truncated ? ' (truncated at the server\'s limit)' : ''}</p>
          <div className="table-wrap">
            <table aria-label="Query rows" data-testid="query-rows">
              <thead><tr>{result.reply.columns.map((col) => <th key={col} scope="col">{col}</th>)}</tr></thead>
              <tbody>
                {result.reply.rows.map((row, i) => <tr key={i}>{result.reply.columns.map((col) => <td key={col} className="mono">{cell(row[col])}</td>)}</tr>)}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
      {result?.kind === 'search' ? (
        result.reply.results.length === 0 ? <Empty>Nothing found.</Empty> : (
          <div className="table-wrap">
            <table aria-label="Search results" data-testid="search-results">
              <thead><tr><th scope="col">Symbol</th><th scope="col">Kind</th><th scope="col">Where</th><th scope="col">Score</th></tr></thead>
              <tbody>
                {result.reply.results.map((s) => (
                  <tr key={s.id}><td><SymbolButton symbol={s} onSymbol={onSymbol} /></td><td>{s.label}</td><td className="mono">{where(s)}</td><td>{s.score.toFixed(3)}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
    </section>
  );
}

/** A project's code knowledge graph. */
export function KnowledgePage({ id }: { readonly id: string }) {
  const base = `/v1/projects/${encodeURIComponent(id)}/knowledge-graph`;
  const project = useApi<Project>(`/v1/projects/${encodeURIComponent(id)}`);
  const status = useApi<GraphStatus>(`${base}/status`);
  const [symbol, setSymbol] = useState('');
  const [version, setVersion] = useState(0);
  const { reload } = status;
  const onComplete = useCallback(() => {
    reload();
    setVersion((v) => v + 1);
  }, [reload]);
  const choose = (name: string) => {
    setSymbol(name);
    document.getElementById('symbol-title')?.scrollIntoView({ block: 'start' });
  };
  const indexed = status.data?.indexed === true;
  return (
    <Page title={`${project.data?.name ?? 'Project'}: code graph`} actions={<Link href={`/projects/${id}`}>Board</Link>}>
      <ErrorNote error={project.error ?? status.error} />
      <p className="muted">
        Repository: <span className="mono">{project.data?.repository ?? 'none (set one on the project to index it)'}</span>
        {status.data?.indexed ? ` · indexed ${when(status.data.indexed_at)}: ${status.data.counts.symbols ?? 0} symbols, ${status.data.counts.edges ?? 0} edges` : ''}
      </p>
      {status.data ? <IndexPanel base={base} projectId={id} initial={status.data.job} onComplete={onComplete} /> : null}
      {indexed ? (
        <>
          <Communities key={version} base={base} onSymbol={choose} />
          <SymbolPanel base={base} symbol={symbol} onSymbol={choose} />
          <QueryBox base={base} onSymbol={choose} />
        </>
      ) : null}
    </Page>
  );
}
