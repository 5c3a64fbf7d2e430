import { createHash } from 'node:crypto';
import type { RequestHandler } from '@cadre/bus';
import {
  CadreError, NotFoundError, ValidationError, documentDelete, documentGet, documentIngest, documentList, documentSearch, documentSection, documentToc,
  transcriptIngest, type TocNode,
} from '@cadre/proto';
import { endpoint, metaOf, requireAccess, type Call } from '@cadre/runtime';
import type { MemoryContext } from '../context';
import { detectFormat, parseDocument, type DocumentFormat, type ParsedDocument } from '../documents/parse';
import { runMemoryCommand } from '../memory/commands';
import { DOCUMENT_QUEUE } from '../documents/jobs';
import { insertSection } from '../documents/store';
import { inTransaction } from '../memory/rows';
import { fuse } from '../search/fusion';
import { buildTextQuery } from '../search/text';
import { actingUser, readScope } from './access';

interface DocumentRow {
  id: string; owner: string | null; title: string; name: string; format: DocumentFormat; size_bytes: number; sections: number; created_at: Date;
  status: 'processing' | 'ready' | 'failed'; error: string | null;
}

const present = (row: DocumentRow) => ({
  id: row.id, title: row.title, name: row.name, format: row.format, size_bytes: row.size_bytes, sections: row.sections,
  ...(row.owner !== null ? { owner: row.owner } : {}), created_at: row.created_at.toISOString(), status: row.status,
  ...(row.error !== null ? { error: row.error } : {}),
});

const documentNotFound = (id: string) => new NotFoundError(`no document '${id}'`);

/** Ingestion, the table of contents, sections, search across sections. */
export function documentEndpoints(ctx: MemoryContext): ReadonlyArray<readonly [string, RequestHandler]> {
  const s = `"${ctx.schema}"`;

  async function visibleDocument(call: Call, id: string): Promise<DocumentRow> {
    const { rows } = await ctx.pool.query<DocumentRow>(`select * from ${s}.documents where id = $1`, [id]);
    const row = rows[0];
    if (row === undefined) throw documentNotFound(id);
    requireAccess(call, row.owner ?? undefined, () => documentNotFound(id));
    return row;
  }

  /**
   * Stores a parsed document: its rows in one transaction, then its `document_ingested` event;
   * if the event cannot be appended the rows are removed again, so a failed ingestion leaves nothing.
   */
  async function store(call: Call, owner: string | undefined, name: string, bytes: Buffer, parsed: ParsedDocument): Promise<DocumentRow> {
    const id = ctx.newId();
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const createdAt = ctx.clock();
    await inTransaction(ctx.pool, async (execute) => {
      await execute(
        `insert into ${s}.documents (id, owner, title, name, format, size_bytes, sections, sha256, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [id, owner ?? null, parsed.title, name, parsed.format, bytes.length, parsed.sections.length, sha256, createdAt],
      );
      for (const section of parsed.sections) await insertSection(execute, ctx.schema, id, section);
    });
    try {
      await ctx.store.append(`document-${id}`, 'no_stream', [{
        type: 'document_ingested',
        data: { document_id: id, title: parsed.title, name, format: parsed.format, size_bytes: bytes.length, sections: parsed.sections.length, sha256 },
        meta: { ...metaOf(call), ...(owner !== undefined ? { owner } : {}) },
      }], { subjectScope: id });
    } catch (error) {
      await ctx.pool.query(`delete from ${s}.documents where id = $1`, [id]);
      throw error;
    }
    return {
      id, owner: owner ?? null, title: parsed.title, name, format: parsed.format, size_bytes: bytes.length, sections: parsed.sections.length,
      created_at: createdAt, status: 'ready', error: null,
    };
  }

  /**
   * Accepts a large document to parse as a job: its row (`processing`) and its bytes are kept,
   * `document_ingest_started` is appended and the job queued; the reply does not wait.
   */
  async function accept(call: Call, owner: string | undefined, name: string, format: DocumentFormat, title: string | undefined, bytes: Buffer): Promise<DocumentRow> {
    const id = ctx.newId();
    const createdAt = ctx.clock();
    const fallback = title ?? name.replace(/\.[a-z0-9]+$/i, '');
    await inTransaction(ctx.pool, async (execute) => {
      await execute(
        `insert into ${s}.documents (id, owner, title, name, format, size_bytes, sections, sha256, created_at, status)
         values ($1, $2, $3, $4, $5, $6, 0, $7, $8, 'processing')`,
        [id, owner ?? null, fallback, name, format, bytes.length, createHash('sha256').update(bytes).digest('hex'), createdAt],
      );
      await execute(`insert into ${s}.document_uploads (document_id, name, format, title, bytes) values ($1, $2, $3, $4, $5)`, [id, name, format, title ?? null, bytes]);
    });
    await ctx.store.append(`document-${id}`, 'no_stream', [{
      type: 'document_ingest_started', data: { document_id: id, name, format, size_bytes: bytes.length },
      meta: { ...metaOf(call), ...(owner !== undefined ? { owner } : {}) },
    }], { subjectScope: id });
    await ctx.bus.workQueue(DOCUMENT_QUEUE).enqueue(Buffer.from(JSON.stringify({ document_id: id })), { msgId: id });
    return { id, owner: owner ?? null, title: fallback, name, format, size_bytes: bytes.length, sections: 0, created_at: createdAt, status: 'processing', error: null };
  }

  /** Embeds a new document's sections before the reply; a provider that does not answer leaves them to the background embedder. */
  async function embedSections(documentId: string): Promise<void> {
    await (await ctx.embeddings())?.sections.embedder.embedNow([documentId]).catch((err: unknown) => {
      ctx.logger.warn({ err, documentId }, 'document sections not embedded yet; the background embedder will');
    });
  }

  function tooLarge(bytes: number): CadreError {
    return new CadreError('payload_too_large', `the document is ${bytes} bytes; at most ${ctx.config.MEMORY_DOCUMENT_MAX_BYTES}`, { limit: ctx.config.MEMORY_DOCUMENT_MAX_BYTES });
  }

  return [
    endpoint(documentIngest, async (request, call) => {
      const owner = actingUser(call, undefined);
      if ((request.content === undefined) === (request.content_base64 === undefined)) {
        throw new ValidationError('send the document as exactly one of content (text) or content_base64 (bytes)');
      }
      if (request.content_base64 !== undefined && !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(request.content_base64)) {
        throw new ValidationError('content_base64 is not base64', { fields: { content_base64: 'not base64' } });
      }
      const bytes = request.content !== undefined ? Buffer.from(request.content, 'utf8') : Buffer.from(request.content_base64!, 'base64');
      if (bytes.length > ctx.config.MEMORY_DOCUMENT_MAX_BYTES) throw tooLarge(bytes.length);
      if (bytes.length === 0) throw new ValidationError('the document is empty');
      const format = request.format ?? detectFormat(request.name, bytes);
      if (bytes.length > ctx.config.MEMORY_DOCUMENT_INLINE_BYTES) return present(await accept(call, owner, request.name, format, request.title, bytes));
      const parsed = await parseDocument(request.name, format, bytes, request.title);
      if (parsed.sections.length === 0) throw new ValidationError('the document holds no text');
      const document = await store(call, owner, request.name, bytes, parsed);
      await embedSections(document.id);
      return present(document);
    }),

    endpoint(transcriptIngest, async (request, call) => {
      const owner = actingUser(call, undefined);
      const bytes = Buffer.from(request.transcript, 'utf8');
      if (bytes.length > ctx.config.MEMORY_DOCUMENT_MAX_BYTES) throw tooLarge(bytes.length);
      const format: DocumentFormat = /^#{1,6}\s/m.test(request.transcript) ? 'markdown' : 'text';
      const parsed = await parseDocument(`${request.title}.${format === 'markdown' ? 'md' : 'txt'}`, format, bytes, request.title);
      const document = await store(call, owner, request.title, bytes, parsed);
      await embedSections(document.id);
      const memories: string[] = [];
      if (request.agent_id !== undefined) {
        // One memory per section of the transcript, its id fixed by the document and section so a retry saves it once.
        for (const section of parsed.sections) {
          const memoryId = `doc-${document.id}-${section.id}`;
          await runMemoryCommand(ctx, {
            kind: 'save', memoryId, agentId: request.agent_id,
            content: { title: `${request.title}: ${section.heading}`, body: section.content, type: 'fact', tags: ['transcript'] },
          }, { owner, meta: metaOf(call) });
          memories.push(memoryId);
        }
      }
      return { document: present(document), memories };
    }),

    endpoint(documentGet, async (request, call) => present(await visibleDocument(call, request.id))),

    endpoint(documentList, async (request, call) => {
      const scope = readScope(call, undefined);
      const { rows } = await ctx.pool.query<DocumentRow>(
        `select * from ${s}.documents where ($1::text is null or owner = $1) order by created_at desc, id desc limit $2`, [scope.owner ?? null, request.limit],
      );
      return { documents: rows.map(present) };
    }),

    endpoint(documentToc, async (request, call) => {
      const document = await visibleDocument(call, request.id);
      const { rows } = await ctx.pool.query<{ id: string; parent_id: string | null; level: number; heading: string; path: string[] }>(
        `select id, parent_id, level, heading, path from ${s}.document_sections where document_id = $1 order by ordinal`, [request.id],
      );
      const nodes = new Map<string, TocNode>();
      const roots: TocNode[] = [];
      for (const row of rows) {
        const node: TocNode = { id: row.id, heading: row.heading, level: row.level, path: row.path, children: [] };
        nodes.set(row.id, node);
        const parent = row.parent_id === null ? undefined : nodes.get(row.parent_id);
        if (parent) parent.children.push(node);
        else roots.push(node);
      }
      return { document: present(document), toc: roots };
    }),

    endpoint(documentSection, async (request, call) => {
      await visibleDocument(call, request.id);
      if ((request.path === undefined) === (request.section_id === undefined)) throw new ValidationError('name the section by exactly one of path or section_id');
      const path = request.path?.split(/\s*(?:>|\/)\s*/).map((part) => part.trim()).filter((part) => part !== '');
      const { rows } = await ctx.pool.query<{ id: string; heading: string; level: number; path: string[]; content: string }>(
        request.section_id !== undefined
          ? `select id, heading, level, path, content from ${s}.document_sections where document_id = $1 and id = $2`
          : `select id, heading, level, path, content from ${s}.document_sections where document_id = $1
               and array(select lower(p) from unnest(path) p) = array(select lower(p) from unnest($2::text[]) p) order by ordinal limit 1`,
        [request.id, request.section_id ?? path],
      );
      const row = rows[0];
      if (row === undefined) throw new NotFoundError(`no section ${request.section_id ?? `'${request.path}'`} in document '${request.id}'`);
      return { document_id: request.id, id: row.id, heading: row.heading, level: row.level, path: row.path, content: row.content };
    }),

    endpoint(documentDelete, async (request, call) => {
      const document = await visibleDocument(call, request.id);
      await ctx.store.append(`document-${request.id}`, 'any', [{
        type: 'document_deleted', data: { document_id: request.id },
        meta: { ...metaOf(call), ...(document.owner !== null ? { owner: document.owner } : {}) },
      }], { subjectScope: request.id });
      await ctx.pool.query(`delete from ${s}.documents where id = $1`, [request.id]);
      return { id: request.id, deleted: true };
    }),

    endpoint(documentSearch, async (request, call) => {
      const query = request.query ?? request.q;
      if (query === undefined) throw new ValidationError('query (or q) is required', { fields: { query: 'Required' } });
      const scope = readScope(call, undefined);
      const text = await buildTextQuery(ctx.pool, `${s}.memory_words`, query);
      const n = text.params.length;
      const depth = Math.max(request.limit * 3, 30);
      const textSide = ctx.pool.query<{ id: string; rank: number }>(
        `select x.document_id || '/' || x.id as id, ts_rank_cd(x.search, q.q, 32) as rank
         from ${s}.document_sections x join ${s}.documents d on d.id = x.document_id, (select ${text.sql} as q) q
         where x.search @@ q.q and ($${n + 1}::text is null or d.owner = $${n + 1}) and ($${n + 2}::text is null or d.id = $${n + 2})
         order by rank desc, d.created_at desc, x.ordinal limit $${n + 3}`,
        [...text.params, scope.owner ?? null, request.document_id ?? null, depth],
      );
      const embeddings = await ctx.embeddings();
      const vectorSide = embeddings
        ? (async () => {
            try {
              const [vector] = await embeddings.provider.embed([query]);
              if (!vector!.some((x) => x !== 0)) return [];
              return await embeddings.sections.vectors.nearest(vector!, {
                ...(scope.owner !== undefined ? { owner: scope.owner } : {}), ...(request.document_id !== undefined ? { vaults: [request.document_id] } : {}),
              }, depth, ctx.config.MEMORY_VECTOR_MIN_SIMILARITY);
            } catch (err) {
              ctx.logger.warn({ err }, 'vector side of a document search failed; full-text only');
              return [];
            }
          })()
        : Promise.resolve([]);
      const [textRows, vectorHits] = await Promise.all([textSide, vectorSide]);
      const fused = fuse(textRows.rows.map((row) => ({ id: row.id, rank: Number(row.rank) })), vectorHits).slice(0, request.limit);
      const mode = embeddings ? 'hybrid' as const : 'text' as const;
      if (fused.length === 0) return { query, mode, corrections: text.corrections, results: [] };
      const r = text.relaxed.params.length;
      const { rows } = await ctx.pool.query<{ key: string; document_id: string; document_title: string; section_id: string; heading: string; path: string[]; snippet: string }>(
        `select x.document_id || '/' || x.id as key, d.id as document_id, d.title as document_title, x.id as section_id, x.heading, x.path,
           ts_headline('english', x.content, q.q, 'MaxFragments=1, MaxWords=30, MinWords=12, StartSel=**, StopSel=**') as snippet
         from ${s}.document_sections x join ${s}.documents d on d.id = x.document_id, (select ${text.relaxed.sql} as q) q
         where x.document_id || '/' || x.id = any($${r + 1})`,
        [...text.relaxed.params, fused.map((f) => f.id)],
      );
      const byKey = new Map(rows.map((row) => [row.key, row]));
      const round = (value: number) => Math.round(value * 1e6) / 1e6;
      return {
        query, mode, corrections: text.corrections,
        results: fused.flatMap((f) => {
          const row = byKey.get(f.id);
          if (row === undefined) return [];
          const { key: _key, ...hit } = row;
          return [{
            ...hit, score: round(f.fused), match: f.textRank !== null && f.vectorRank !== null ? 'both' as const : f.textRank !== null ? 'text' as const : 'vector' as const,
            scores: { text: f.textScore === null ? null : round(f.textScore), vector: f.vectorScore === null ? null : round(f.vectorScore), fused: round(f.fused) },
          }];
        }).map((hit, i) => ({ ...hit, rank: i + 1 })),
      };
    }),
  ];
}
