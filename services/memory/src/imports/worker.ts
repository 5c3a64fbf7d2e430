import type { Job } from '@cadre/bus';
import type { Worker } from '@cadre/kit';
import { CadreError } from '@cadre/proto';
import type { MemoryContext } from '../context';
import { runMemoryCommand } from '../memory/commands';
import { memoryOfFile, type ImportFileInput } from './files';

/** The work queue of imports: any replica takes one; another takes it over if that replica dies. */
export const IMPORT_QUEUE = 'memory-imports';

interface ImportRow {
  import_id: string; owner: string | null; agent_id: string; status: string; files: ImportFileInput[];
}

const PROGRESS_EVERY = 100;
const SAVE_CONCURRENCY = 8;

/**
 * Runs an import job: every file saved as a memory under an id fixed by its name, so a job that
 * is run again after its replica died saves what that replica had not saved, and nothing twice.
 * Progress goes to the import's row and, every 100 files, to a `memory_import_progress` event.
 */
export async function runImport(ctx: MemoryContext, importId: string, heartbeat: () => Promise<void>): Promise<void> {
  const s = `"${ctx.schema}"`;
  const { rows } = await ctx.pool.query<ImportRow>(`select import_id, owner, agent_id, status, files from ${s}.memory_imports where import_id = $1`, [importId]);
  const row = rows[0];
  if (row === undefined || row.status === 'completed') return;
  const owner = row.owner ?? undefined;
  const stream = `memory-import-${importId}`;
  const meta = { ...(owner !== undefined ? { owner, actor: `user:${owner}` } : {}) };
  await ctx.pool.query(`update ${s}.memory_imports set status = 'running', worker = $2, updated_at = now() where import_id = $1`, [importId, ctx.instance]);
  ctx.logger.info({ importId, files: row.files.length }, 'import running');
  let saved = 0;
  let unchanged = 0;
  const errors: Array<{ name: string; error: string }> = [];
  const saveOne = async (file: ImportFileInput): Promise<void> => {
    try {
      const memory = memoryOfFile(file, owner, row.agent_id);
      const outcome = await runMemoryCommand(ctx, {
        kind: 'save', memoryId: memory.memoryId, agentId: row.agent_id, importId,
        content: { title: memory.title, body: memory.body, type: memory.type, tags: memory.tags },
      }, { owner, meta, embedNow: false });
      if (outcome.result === 'unchanged') unchanged++;
      else saved++;
    } catch (error) {
      if (!(error instanceof CadreError) || error.retryable) throw error;
      errors.push({ name: file.name, error: error.message });
    }
  };
  // A hundred files at a time, SAVE_CONCURRENCY of them at once (each memory is a stream of its own).
  for (let from = 0; from < row.files.length; from += PROGRESS_EVERY) {
    const batch = row.files.slice(from, from + PROGRESS_EVERY);
    for (let i = 0; i < batch.length; i += SAVE_CONCURRENCY) await Promise.all(batch.slice(i, i + SAVE_CONCURRENCY).map(saveOne));
    const done = from + batch.length;
    await heartbeat();
    await ctx.pool.query(
      `update ${s}.memory_imports set saved = $2, unchanged = $3, failed = $4, errors = $5, updated_at = now() where import_id = $1`,
      [importId, saved, unchanged, errors.length, JSON.stringify(errors.slice(0, 100))],
    );
    if (done < row.files.length) {
      await ctx.store.append(stream, 'any', [{ type: 'memory_import_progress', data: { import_id: importId, agent_id: row.agent_id, done, files: row.files.length }, meta }], { subjectScope: row.agent_id });
    }
  }
  await ctx.store.append(stream, 'any', [{
    type: 'memory_import_completed',
    data: { import_id: importId, agent_id: row.agent_id, files: row.files.length, saved, unchanged, failed: errors.length }, meta,
  }], { subjectScope: row.agent_id });
  await ctx.pool.query(
    `update ${s}.memory_imports set status = 'completed', saved = $2, unchanged = $3, failed = $4, errors = $5, updated_at = now() where import_id = $1`,
    [importId, saved, unchanged, errors.length, JSON.stringify(errors.slice(0, 100))],
  );
}

export function startImportWorker(ctx: MemoryContext): Promise<Worker> {
  return ctx.bus.workQueue(IMPORT_QUEUE).process(async (job: Job) => {
    const { import_id: importId } = job.json<{ import_id?: unknown }>();
    if (typeof importId !== 'string') {
      await job.term('malformed import job');
      return;
    }
    await runImport(ctx, importId, () => job.working());
  }, { ackWaitMs: ctx.config.MEMORY_IMPORT_ACK_WAIT_MS, maxAttempts: 5, concurrency: 1 });
}
