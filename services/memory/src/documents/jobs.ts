import type { Job } from '@cadre/bus';
import type { Worker } from '@cadre/kit';
import { CadreError } from '@cadre/proto';
import type { MemoryContext } from '../context';
import { inTransaction } from '../memory/rows';
import { parseDocument, type DocumentFormat } from './parse';
import { insertSection } from './store';

/** The work queue of documents parsed as jobs (those over MEMORY_DOCUMENT_INLINE_BYTES). */
export const DOCUMENT_QUEUE = 'memory-documents';

const BATCH = 50;

interface Upload { document_id: string; owner: string | null; name: string; format: DocumentFormat; title: string | null; bytes: Buffer; size_bytes: number; sha256: string }

/**
 * Parses a document accepted for later: its sections are stored fifty at a time, each batch
 * followed by a `document_ingest_progress` event, then the document is `ready` and
 * `document_ingested` is appended (or, when it cannot be parsed, `failed` with the reason and
 * `document_ingest_failed`). Run again after a crash, it starts over from its upload, which is
 * kept until the end.
 */
export async function runDocumentJob(ctx: MemoryContext, documentId: string, heartbeat: () => Promise<void>): Promise<void> {
  const s = `"${ctx.schema}"`;
  const { rows } = await ctx.pool.query<Upload>(
    `select u.document_id, d.owner, u.name, u.format, u.title, u.bytes, d.size_bytes, d.sha256
     from ${s}.document_uploads u join ${s}.documents d on d.id = u.document_id where u.document_id = $1`, [documentId],
  );
  const upload = rows[0];
  if (upload === undefined) return; // done already, or the document was deleted
  const stream = `document-${documentId}`;
  const meta = upload.owner !== null ? { owner: upload.owner, actor: `user:${upload.owner}` } : {};
  let parsed;
  try {
    parsed = await parseDocument(upload.name, upload.format, upload.bytes, upload.title ?? undefined);
    if (parsed.sections.length === 0) throw new CadreError('validation_failed', 'the document holds no text');
  } catch (error) {
    if (!(error instanceof CadreError) || error.retryable) throw error;
    await ctx.pool.query(`update ${s}.documents set status = 'failed', error = $2 where id = $1`, [documentId, error.message]);
    await ctx.pool.query(`delete from ${s}.document_uploads where document_id = $1`, [documentId]);
    await ctx.store.append(stream, 'any', [{ type: 'document_ingest_failed', data: { document_id: documentId, error: error.message }, meta }], { subjectScope: documentId });
    return;
  }
  await ctx.pool.query(`delete from ${s}.document_sections where document_id = $1`, [documentId]);
  for (let from = 0; from < parsed.sections.length; from += BATCH) {
    const batch = parsed.sections.slice(from, from + BATCH);
    await inTransaction(ctx.pool, async (execute) => {
      for (const section of batch) await insertSection(execute, ctx.schema, documentId, section);
    });
    await heartbeat();
    await ctx.store.append(stream, 'any', [{
      type: 'document_ingest_progress', data: { document_id: documentId, done: from + batch.length, sections: parsed.sections.length }, meta,
    }], { subjectScope: documentId });
  }
  await ctx.pool.query(`update ${s}.documents set status = 'ready', title = $2, sections = $3 where id = $1`, [documentId, parsed.title, parsed.sections.length]);
  await ctx.store.append(stream, 'any', [{
    type: 'document_ingested',
    data: { document_id: documentId, title: parsed.title, name: upload.name, format: parsed.format, size_bytes: upload.size_bytes, sections: parsed.sections.length, sha256: upload.sha256 },
    meta,
  }], { subjectScope: documentId });
  await ctx.pool.query(`delete from ${s}.document_uploads where document_id = $1`, [documentId]);
  await (await ctx.embeddings())?.sections.embedder.embedNow([documentId]).catch((err: unknown) => {
    ctx.logger.warn({ err, documentId }, 'document sections not embedded yet; the background embedder will');
  });
}

export function startDocumentWorker(ctx: MemoryContext): Promise<Worker> {
  return ctx.bus.workQueue(DOCUMENT_QUEUE).process(async (job: Job) => {
    const { document_id: documentId } = job.json<{ document_id?: unknown }>();
    if (typeof documentId !== 'string') {
      await job.term('malformed document job');
      return;
    }
    await runDocumentJob(ctx, documentId, () => job.working());
  }, { ackWaitMs: ctx.config.MEMORY_IMPORT_ACK_WAIT_MS, maxAttempts: 3, concurrency: 1 });
}
