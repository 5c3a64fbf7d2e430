import type { RequestHandler } from '@cadre/bus';
import { NotFoundError, ValidationError, memoryImport, memoryImportGet } from '@cadre/proto';
import { endpoint, metaOf, requireAccess } from '@cadre/runtime';
import type { MemoryContext } from '../context';
import { filesOfZip, memoryOfFile, type ImportFileInput } from '../imports/files';
import { IMPORT_QUEUE } from '../imports/worker';
import { actingUser } from './access';

const MAX_FILES = 20_000;

/** Imports: queued as a job after their files are checked and kept; their progress. */
export function importEndpoints(ctx: MemoryContext): ReadonlyArray<readonly [string, RequestHandler]> {
  const s = `"${ctx.schema}"`;
  return [
    endpoint(memoryImport, async (request, call) => {
      const owner = actingUser(call, undefined);
      const files: ImportFileInput[] = [...(request.files ?? []), ...(request.zip_base64 !== undefined ? filesOfZip(request.zip_base64, MAX_FILES) : [])];
      if (files.length === 0) throw new ValidationError('nothing to import: send files or a zip_base64 of markdown files');
      if (files.length > MAX_FILES) throw new ValidationError(`at most ${MAX_FILES} files in one import`);
      const names = new Set<string>();
      for (const file of files) {
        if (names.has(file.name)) throw new ValidationError(`file '${file.name}' is sent twice`);
        names.add(file.name);
        memoryOfFile(file, owner, request.agent_id); // refuses bad front matter before anything is kept
      }
      const importId = ctx.newId();
      await ctx.pool.query(
        `insert into ${s}.memory_imports (import_id, owner, agent_id, status, files, created_at, updated_at) values ($1, $2, $3, 'queued', $4, $5, $5)`,
        [importId, owner ?? null, request.agent_id, JSON.stringify(files), ctx.clock()],
      );
      await ctx.store.append(`memory-import-${importId}`, 'no_stream', [{
        type: 'memory_import_started', data: { import_id: importId, agent_id: request.agent_id, files: files.length },
        meta: { ...metaOf(call), ...(owner !== undefined ? { owner } : {}) },
      }], { subjectScope: request.agent_id });
      await ctx.bus.workQueue(IMPORT_QUEUE).enqueue(Buffer.from(JSON.stringify({ import_id: importId })), { msgId: importId });
      return { import_id: importId, agent_id: request.agent_id, files: files.length, status: 'queued' };
    }),

    endpoint(memoryImportGet, async (request, call) => {
      const { rows } = await ctx.pool.query<{
        import_id: string; owner: string | null; agent_id: string; status: 'queued' | 'running' | 'completed' | 'failed'; files: number; worker: string | null;
        saved: number; unchanged: number; failed: number; errors: Array<{ name: string; error: string }>; created_at: Date; updated_at: Date;
      }>(
        `select import_id, owner, agent_id, status, jsonb_array_length(files) as files, worker, saved, unchanged, failed, errors, created_at, updated_at
         from ${s}.memory_imports where import_id = $1`, [request.import_id],
      );
      const row = rows[0];
      const notFound = () => new NotFoundError(`no import '${request.import_id}'`);
      if (row === undefined) throw notFound();
      requireAccess(call, row.owner ?? undefined, notFound);
      const { owner: _owner, ...view } = row;
      return { ...view, created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString() };
    }),
  ];
}
