import fc from 'fast-check';
import PDFDocument from 'pdfkit';
import { identityService } from '@cadre/identity';
import { checkRegistry } from '@cadre/kit';
import { memoryService } from '@cadre/memory';
import { memoryRoutes } from '@cadre/proto';
import { malformedRequests } from '../support/fuzz';
import { createMember, setupAdmin } from '../support/auth';
import { eventually } from '@cadre/testing';
import { call } from '../support/http';
import { openStream } from '../support/sse';
import { startSystem, type System } from '../support/system';

// Documents through the API: a markdown file and a PDF the test writes (with an outline, as
// writers of real PDFs put one) are parsed into sections by heading; the table of contents is
// their tree; a section is read by its heading path or id; search hits name their section; a
// corrupt PDF is refused and leaves nothing behind.

const RUNBOOK = `# Payments runbook

Owned by the payments team.

## Deploying

Deploy the payments API with the canary first.

### Rollback

Revert the release tag and flush the idempotency cache.

## Monitoring

Watch the settlement latency dashboard.
`;

/** A PDF of three outlined sections, the second under the first, the third on page 2. */
function writePdf(): Promise<Buffer> {
  const doc = new PDFDocument({ info: { Title: 'Incident handbook' } });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  const triage = doc.outline.addItem('Triage');
  doc.fontSize(18).text('Triage');
  doc.fontSize(11).text('Page the incident commander and open a bridge call.');
  triage.addItem('Severity levels');
  doc.fontSize(14).text('Severity levels');
  doc.fontSize(11).text('A sev1 stops checkout for every merchant.');
  doc.addPage();
  doc.outline.addItem('Postmortem');
  doc.fontSize(18).text('Postmortem');
  doc.fontSize(11).text('Write the timeline within two business days.');
  doc.end();
  return done;
}

interface Doc { id: string; title: string; format: string; sections: number }
interface Toc { id: string; heading: string; level: number; path: string[]; children: Toc[] }
const shape = (nodes: Toc[]): unknown[] => nodes.map((n) => [n.heading, ...(n.children.length > 0 ? [shape(n.children)] : [])]);

describe('documents through the API', () => {
  let system: System;
  let admin: string;
  let alice: string;
  let bob: string;
  const api = <T>(method: string, path: string, token: string, body?: unknown) => call<T>(system.baseUrl, method, path, { token, ...(body !== undefined ? { body } : {}) });

  beforeAll(async () => {
    system = await startSystem({ transport: 'embedded', registry: checkRegistry([identityService, memoryService]), env: { MEMORY_DOCUMENT_MAX_BYTES: '65536', MEMORY_DOCUMENT_INLINE_BYTES: '8192' } });
    admin = (await setupAdmin(system.baseUrl)).access_token;
    alice = (await createMember(system.baseUrl, admin, 'alice@example.com')).tokens.access_token;
    bob = (await createMember(system.baseUrl, admin, 'bob@example.com')).tokens.access_token;
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('ingests markdown into sections: toc, sections by path or id, search hits naming their section', async () => {
    const doc = await api<Doc>('POST', '/v1/ingest/document', alice, { name: 'runbook.md', content: RUNBOOK });
    expect(doc.status).toBe(201);
    expect(doc.body).toMatchObject({ title: 'Payments runbook', format: 'markdown', sections: 4 });

    const toc = (await api<{ toc: Toc[] }>('GET', `/v1/documents/${doc.body.id}/toc`, alice)).body.toc;
    expect(shape(toc)).toEqual([['Payments runbook', [['Deploying', [['Rollback']]], ['Monitoring']]]]);

    const rollback = await api<{ id: string; path: string[]; content: string }>('GET', `/v1/documents/${doc.body.id}/section?path=${encodeURIComponent('Payments runbook > Deploying > Rollback')}`, alice);
    expect(rollback.status).toBe(200);
    expect(rollback.body).toMatchObject({ path: ['Payments runbook', 'Deploying', 'Rollback'], content: 'Revert the release tag and flush the idempotency cache.' });
    const byId = await api<{ heading: string }>('GET', `/v1/documents/${doc.body.id}/section?section_id=${rollback.body.id}`, alice);
    expect(byId.body.heading).toBe('Rollback');
    expect((await api('GET', `/v1/documents/${doc.body.id}/section?path=Nowhere`, alice)).status).toBe(404);
    expect((await api('GET', `/v1/documents/${doc.body.id}/section`, alice)).status).toBe(400);

    const hits = (await api<{ results: Array<{ document_id: string; heading: string; path: string[]; snippet: string }> }>('GET', '/v1/documents/search?q=idempotency%20cache', alice)).body.results;
    expect(hits).toEqual([expect.objectContaining({ document_id: doc.body.id, heading: 'Rollback', path: ['Payments runbook', 'Deploying', 'Rollback'] })]);
    expect(hits[0]!.snippet).toContain('**idempotency**');
    const typo = (await api<{ corrections: Record<string, string[]>; results: Array<{ heading: string }> }>('GET', '/v1/documents/search?q=setlement', alice)).body;
    expect(typo.results.map((h) => h.heading)).toEqual(['Monitoring']);

    // Another user sees none of it.
    expect((await api('GET', `/v1/documents/${doc.body.id}/toc`, bob)).status).toBe(404);
    expect((await api<{ results: unknown[] }>('GET', '/v1/documents/search?q=idempotency', bob)).body.results).toEqual([]);
    expect((await api<{ documents: unknown[] }>('GET', '/v1/documents', bob)).body.documents).toEqual([]);
  });

  it('ingests a PDF the test writes, its outline as the table of contents', async () => {
    const pdf = await writePdf();
    const doc = await api<Doc>('POST', '/v1/ingest/document', alice, { name: 'handbook.pdf', content_base64: pdf.toString('base64') });
    expect(doc.status).toBe(201);
    expect(doc.body).toMatchObject({ title: 'Incident handbook', format: 'pdf', sections: 3 });
    const toc = (await api<{ toc: Toc[] }>('GET', `/v1/documents/${doc.body.id}/toc`, alice)).body.toc;
    expect(shape(toc)).toEqual([['Triage', [['Severity levels']]], ['Postmortem']]);
    const severity = await api<{ content: string }>('GET', `/v1/documents/${doc.body.id}/section?path=Triage/Severity%20levels`, alice);
    expect(severity.body.content).toBe('A sev1 stops checkout for every merchant.');
    const hits = (await api<{ results: Array<{ heading: string; document_title: string }> }>('GET', `/v1/documents/search?query=${encodeURIComponent('"business days"')}`, alice)).body.results;
    expect(hits).toEqual([expect.objectContaining({ heading: 'Postmortem', document_title: 'Incident handbook' })]);
  });

  it('refuses a corrupt PDF, an empty or oversized document, and keeps nothing of them', async () => {
    const before = (await api<{ documents: unknown[] }>('GET', '/v1/documents', admin)).body.documents.length;
    const corrupt = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(400, 7)]);
    const refused = await api<{ error: string }>('POST', '/v1/ingest/document', alice, { name: 'broken.pdf', content_base64: corrupt.toString('base64') });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/PDF/);
    const truncated = (await writePdf()).subarray(0, 300);
    expect((await api('POST', '/v1/ingest/document', alice, { name: 'cut.pdf', content_base64: truncated.toString('base64') })).status).toBe(400);
    expect((await api('POST', '/v1/ingest/document', alice, { name: 'empty.md', content: '' })).status).toBe(400);
    expect((await api('POST', '/v1/ingest/document', alice, { name: 'both.md', content: 'x', content_base64: 'eA==' })).status).toBe(400);
    expect((await api('POST', '/v1/ingest/document', alice, { name: 'big.txt', content: 'x'.repeat(70_000) })).status).toBe(413);
    expect((await api<{ documents: unknown[] }>('GET', '/v1/documents', admin)).body.documents).toHaveLength(before);
    expect((await api<{ results: unknown[] }>('GET', '/v1/documents/search?q=broken', admin)).body.results).toEqual([]);
  });

  it('parses a large document as a job: processing at once, progress events, then ready with every section', async () => {
    const chapters = Array.from({ length: 120 }, (_, i) => `## Chapter ${i + 1}\n\n${`Paragraph of chapter ${i + 1} about harbour logistics. `.repeat(3)}${i === 77 ? 'The lighthouse keeper signs the manifest.' : ''}\n`);
    const content = `# Harbour manual\n\n${chapters.join('\n')}`;
    expect(Buffer.byteLength(content)).toBeGreaterThan(8192);
    const stream = await openStream(system.baseUrl, { token: alice, lastEventId: 0, query: { types: 'document_ingest_started,document_ingest_progress,document_ingested' } });
    try {
      const accepted = await api<Doc & { status: string }>('POST', '/v1/ingest/document', alice, { name: 'harbour.md', content });
      expect(accepted.status).toBe(201);
      expect(accepted.body).toMatchObject({ status: 'processing', sections: 0 });
      const ready = await eventually(async () => {
        const doc = (await api<Doc & { status: string }>('GET', `/v1/documents/${accepted.body.id}`, alice)).body;
        expect(doc.status).toBe('ready');
        return doc;
      }, 30_000, 100);
      expect(ready).toMatchObject({ title: 'Harbour manual', sections: 121 });
      const mine = () => stream.events.map((e) => ({ type: e.event, data: (JSON.parse(e.data) as { data: { document_id: string; done?: number } }).data }))
        .filter((e) => e.data.document_id === accepted.body.id);
      await eventually(() => expect(mine().at(-1)?.type).toBe('document_ingested'), 15_000);
      expect(mine().map((e) => (e.type === 'document_ingest_progress' ? `progress ${e.data.done}` : e.type))).toEqual([
        'document_ingest_started', 'progress 50', 'progress 100', 'progress 121', 'document_ingested',
      ]);
      const hits = (await api<{ results: Array<{ heading: string }> }>('GET', `/v1/documents/search?q=lighthouse%20manifest&document_id=${accepted.body.id}`, alice)).body.results;
      expect(hits.map((h) => h.heading)).toEqual(['Chapter 78']);
      expect((await api(`GET`, `/v1/documents/${accepted.body.id}`, bob)).status).toBe(404);
    } finally {
      stream.close();
    }
  });

  it('marks a large document that cannot be parsed as failed, with the reason, and keeps no section of it', async () => {
    const corrupt = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(9000, 7)]);
    const accepted = await api<Doc & { status: string }>('POST', '/v1/ingest/document', alice, { name: 'big-broken.pdf', content_base64: corrupt.toString('base64') });
    expect(accepted.body.status).toBe('processing');
    const failed = await eventually(async () => {
      const doc = (await api<{ status: string; error?: string; sections: number }>('GET', `/v1/documents/${accepted.body.id}`, alice)).body;
      expect(doc.status).toBe('failed');
      return doc;
    }, 30_000, 100);
    expect(failed.error).toMatch(/PDF/);
    expect(failed.sections).toBe(0);
    expect((await api<{ toc: unknown[] }>('GET', `/v1/documents/${accepted.body.id}/toc`, alice)).body.toc).toEqual([]);
  });

  it('answers generated malformed requests to every memory route without a 5xx, in the one error envelope', async () => {
    const requests = memoryRoutes.flatMap((route) => fc.sample(malformedRequests(route), { numRuns: 40, seed: 20261206 }));
    const outcomes: Array<{ what: string; status: number; body: string }> = [];
    for (let i = 0; i < requests.length; i += 8) {
      outcomes.push(...await Promise.all(requests.slice(i, i + 8).map(async (request) => {
        const res = await fetch(new URL(request.path, system.baseUrl), {
          method: request.method, headers: { ...request.headers, authorization: `Bearer ${alice}` }, ...(request.body !== undefined ? { body: request.body } : {}),
        });
        return { what: `${request.method} ${request.path.slice(0, 80)}`, status: res.status, body: await res.text() };
      })));
    }
    expect(outcomes.filter((o) => o.status >= 500).map((o) => `${o.what} ${o.status} ${o.body.slice(0, 120)}`)).toEqual([]);
    const envelope = (body: string) => {
      try {
        const parsed = JSON.parse(body) as { error?: unknown; code?: unknown };
        return typeof parsed.error === 'string' && typeof parsed.code === 'string';
      } catch {
        return false;
      }
    };
    expect(outcomes.filter((o) => o.status >= 400 && !envelope(o.body)).map((o) => o.what)).toEqual([]);
    expect((await api('GET', '/v1/memory/vaults', alice)).status).toBe(200);
  });

  it('ingests HTML and plain text, and turns a transcript into memories of an agent', async () => {
    const html = await api<Doc>('POST', '/v1/ingest/document', alice, {
      name: 'faq.html', content: '<html><head><title>FAQ</title></head><body><h1>Billing</h1><p>Invoices go out monthly.</p><h2>Refunds</h2><p>Refunds take five days.</p></body></html>',
    });
    expect(html.body).toMatchObject({ title: 'FAQ', format: 'html', sections: 2 });
    const text = await api<Doc>('POST', '/v1/ingest/document', alice, { name: 'notes.txt', content: 'first paragraph\n\nsecond paragraph' });
    expect(text.body).toMatchObject({ format: 'text', sections: 1 });

    const transcript = await api<{ document: Doc; memories: string[] }>('POST', '/v1/ingest/transcript', alice, {
      title: 'Standup', agent_id: 'eric', transcript: '## Decisions\n\nWe move the launch to Tuesday.\n\n## Actions\n\nAna writes the changelog.',
    });
    expect(transcript.status).toBe(201);
    expect(transcript.body.memories).toHaveLength(2);
    const found = (await api<{ results: Array<{ id: string; title: string }> }>('GET', '/v1/memory/search?agent_id=eric&q=launch%20tuesday', alice)).body.results;
    expect(found.map((h) => h.title)).toEqual(['Standup: Decisions']);
  });
});
