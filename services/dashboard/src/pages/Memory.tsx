import { useState, type FormEvent } from 'react';
import { query } from '../api';
import { Graph } from '../components/Graph';
import { Empty, ErrorNote, Page } from '../components/ui';
import { when } from '../format';
import { useApi } from '../hooks';

interface Vault { readonly agent_id: string; readonly shared: boolean; readonly count: number; readonly by_type: Record<string, number>; readonly updated_at: string | null }
interface Hit {
  readonly id: string; readonly agent_id: string; readonly title: string; readonly snippet: string; readonly type: string; readonly tags: string[];
  readonly match: 'text' | 'vector' | 'both';
  readonly scores: { readonly text: number | null; readonly vector: number | null; readonly fused: number; readonly adaptive: number };
}
interface SearchReply { readonly mode: string; readonly corrections: Record<string, string[]>; readonly note?: string; readonly results: Hit[] }
interface GraphReply {
  readonly nodes: { id: string; title: string; type: string }[];
  readonly edges: { from: string; to: string | null; title: string; resolved: boolean }[];
}
interface Doc { readonly id: string; readonly title: string; readonly format: string; readonly sections: number; readonly status: string; readonly created_at: string }
interface Toc { readonly id: string; readonly heading: string; readonly children: Toc[] }

const REASON: Readonly<Record<Hit['match'], string>> = {
  text: 'matched its words', vector: 'similar in meaning', both: 'matched its words and its meaning',
};

/** The search's snippet: the words it matched come between ** marks; they are shown highlighted. */
function Snippet({ text }: { readonly text: string }) {
  return <>{text.split('**').map((part, i) => (i % 2 === 1 ? <mark key={i}>{part}</mark> : <span key={i}>{part}</span>))}</>;
}

function Search() {
  const [submitted, setSubmitted] = useState<{ q: string; agent: string }>();
  const result = useApi<SearchReply>(submitted ? `/v1/memory/search${query({ q: submitted.q, agent_id: submitted.agent, limit: 20 })}` : null);
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setSubmitted({ q: String(form.get('q')), agent: String(form.get('agent')) });
  };
  const corrections = Object.entries(result.data?.corrections ?? {});
  return (
    <section aria-labelledby="search-title">
      <h2 id="search-title">Search</h2>
      <form onSubmit={submit} className="inline-form" role="search">
        <label>Words or a question<input name="q" required /></label>
        <label>Vault (agent, optional)<input name="agent" /></label>
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={result.error} />
      {result.data ? (
        <>
          <p className="muted">Mode: {result.data.mode}{result.data.note ? ` — ${result.data.note}` : ''}{corrections.length ? `; searched ${corrections.map(([w, c]) => `${w} as ${c.join('/')}`).join(', ')}` : ''}</p>
          {result.data.results.length === 0 ? <Empty>Nothing found.</Empty> : null}
          <ol className="hits">
            {result.data.results.map((hit) => (
              <li key={`${hit.agent_id}/${hit.id}`}>
                <strong>{hit.title}</strong> <span className="muted">{hit.agent_id} · {hit.type}</span>
                <p><Snippet text={hit.snippet} /></p>
                <p className="muted">Why: {REASON[hit.match]} (fused {hit.scores.fused.toFixed(3)}, adaptive {hit.scores.adaptive.toFixed(2)}{hit.scores.vector !== null ? `, similarity ${hit.scores.vector.toFixed(2)}` : ''})</p>
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </section>
  );
}

function VaultGraph({ agent }: { readonly agent: string }) {
  const graph = useApi<GraphReply>(`/v1/memory/vaults/${encodeURIComponent(agent)}/graph`);
  const nodes = graph.data?.nodes ?? [];
  const edges = (graph.data?.edges ?? []).filter((e) => e.resolved && e.to !== null);
  return (
    <section aria-labelledby="graph-title">
      <h2 id="graph-title">Links in {agent}</h2>
      <ErrorNote error={graph.error} />
      {graph.data && nodes.length === 0 ? <Empty>No memories in this vault.</Empty> : null}
      {nodes.length > 0 ? (
        <Graph layout="cose" label={`${nodes.length} memories and ${edges.length} links`}
          nodes={nodes.map((n) => ({ id: n.id, label: n.title, status: 'memory' }))}
          edges={edges.map((e) => ({ from: e.from, to: e.to! }))} />
      ) : null}
      <ul className="columns">
        {nodes.map((n) => <li key={n.id}>{n.title} <span className="muted">({n.type})</span></li>)}
      </ul>
    </section>
  );
}

function TocList({ nodes }: { readonly nodes: readonly Toc[] }) {
  return <ul>{nodes.map((n) => <li key={n.id}>{n.heading}{n.children.length ? <TocList nodes={n.children} /> : null}</li>)}</ul>;
}

function Documents() {
  const docs = useApi<{ documents: Doc[] }>('/v1/documents?limit=50');
  const [open, setOpen] = useState<string>();
  const toc = useApi<{ toc: Toc[] }>(open ? `/v1/documents/${encodeURIComponent(open)}/toc` : null);
  return (
    <section aria-labelledby="docs-title">
      <h2 id="docs-title">Documents</h2>
      <ErrorNote error={docs.error} />
      {docs.data?.documents.length === 0 ? <Empty>No documents ingested yet (POST /v1/ingest/document).</Empty> : null}
      <ul>
        {(docs.data?.documents ?? []).map((d) => (
          <li key={d.id}>
            <button type="button" className="link" aria-expanded={open === d.id} onClick={() => setOpen(open === d.id ? undefined : d.id)}>{d.title}</button>{' '}
            <span className="muted">{d.format} · {d.sections} sections · {d.status} · {when(d.created_at)}</span>
            {open === d.id && toc.data ? <TocList nodes={toc.data.toc} /> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Vaults, search with why each hit matched, a vault's links as a graph, documents with their contents. */
export function MemoryPage() {
  const vaults = useApi<{ vaults: Vault[] }>('/v1/memory/vaults');
  const [agent, setAgent] = useState<string>();
  return (
    <Page title="Memory">
      <ErrorNote error={vaults.error} />
      <section aria-labelledby="vaults-title">
        <h2 id="vaults-title">Vaults</h2>
        {vaults.data?.vaults.length === 0 ? <Empty>No vaults yet: agents fill them with the remember tool.</Empty> : null}
        <div className="table-wrap">
          <table aria-label="Vaults">
            <thead><tr><th scope="col">Vault</th><th scope="col">Memories</th><th scope="col">Types</th><th scope="col">Updated</th></tr></thead>
            <tbody>
              {(vaults.data?.vaults ?? []).map((v) => (
                <tr key={v.agent_id}>
                  <td><button type="button" className="link" aria-pressed={agent === v.agent_id} onClick={() => setAgent(v.agent_id)}>{v.agent_id}{v.shared ? ' (shared)' : ''}</button></td>
                  <td>{v.count}</td>
                  <td>{Object.entries(v.by_type).map(([t, n]) => `${t} ${n}`).join(', ')}</td>
                  <td>{when(v.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {agent ? <VaultGraph key={agent} agent={agent} /> : null}
      <Search />
      <Documents />
    </Page>
  );
}
