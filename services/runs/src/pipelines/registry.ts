import type { Kysely } from 'kysely';
import type { Logger } from '@cadre/logging';
import { loadPipelines, parsePipeline, parsePipelineObject, type LoadedPipeline, type Pipeline } from '@cadre/pipelines';
import { ConflictError, NotFoundError, ValidationError, type PipelineView } from '@cadre/proto';
import type { RunsDatabase } from '../storage/database';

/** Pipelines a run can use: built-ins and folder files (read at start) and API ones (in a table). */
export interface PipelineRegistry {
  get(id: string): Promise<Pipeline | undefined>;
  view(id: string): Promise<PipelineView>;
  list(): Promise<readonly PipelineView[]>;
  /** Validates and stores an API pipeline; `replace` allows an existing id (PUT). */
  save(body: Readonly<Record<string, unknown>>, options: { readonly id?: string; readonly replace: boolean; readonly now: Date }): Promise<PipelineView>;
  remove(id: string): Promise<boolean>;
}

type Origin = PipelineView['origin'];

function present(loaded: Pick<LoadedPipeline, 'pipeline' | 'warnings'>, origin: Origin): PipelineView {
  return { ...loaded.pipeline, description: loaded.pipeline.description, origin, warnings: [...loaded.warnings] };
}

/** A request body as a validated pipeline: `{ yaml }` text, or the definition's fields. */
function parseBody(body: Readonly<Record<string, unknown>>): LoadedPipeline {
  const { yaml, ...fields } = body;
  if (typeof yaml === 'string') {
    if (Object.keys(fields).length > 0) throw new ValidationError('send either "yaml" or the definition fields, not both', [{ path: 'yaml', message: 'given with other fields' }]);
    return parsePipeline(yaml, { source: 'api', format: 'yaml' });
  }
  return parsePipelineObject(fields, { source: 'api' });
}

/** Loads the built-ins and `dir`, and serves API pipelines from the service's table. */
export async function createPipelineRegistry(options: { readonly db: Kysely<RunsDatabase>; readonly dir?: string | undefined; readonly logger: Logger }): Promise<PipelineRegistry> {
  const { db, logger } = options;
  const loaded = await loadPipelines(options.dir !== undefined ? { dir: options.dir } : {});
  for (const { file, error } of loaded.errors) logger.warn({ file, details: error.details }, `pipeline file not loaded: ${error.message}`);
  const files = new Map(loaded.pipelines.map((p) => [p.pipeline.id, p]));

  const stored = (id?: string): Promise<Array<{ id: string; definition: Pipeline }>> => {
    const all = db.selectFrom('pipelines').select(['id', 'definition']);
    return (id === undefined ? all.orderBy('id') : all.where('id', '=', id)).execute();
  };
  const fileView = (p: LoadedPipeline): PipelineView => present(p, p.builtin ? 'builtin' : 'folder');

  return {
    async get(id) {
      const [row] = await stored(id);
      return row?.definition ?? files.get(id)?.pipeline;
    },
    async view(id) {
      const [row] = await stored(id);
      if (row !== undefined) return present({ pipeline: row.definition, warnings: [] }, 'api');
      const file = files.get(id);
      if (file === undefined) throw new NotFoundError(`pipeline '${id}' not found`);
      return fileView(file);
    },
    async list() {
      const api = new Map((await stored()).map((row) => [row.id, present({ pipeline: row.definition, warnings: [] }, 'api')]));
      const all = [...[...files.values()].filter((p) => !api.has(p.pipeline.id)).map(fileView), ...api.values()];
      return all.sort((a, b) => a.id.localeCompare(b.id));
    },
    async save(body, { id, replace, now }) {
      const parsed = parseBody(id !== undefined && body.yaml === undefined && body.id === undefined ? { ...body, id } : body);
      const pipeline = parsed.pipeline;
      if (id !== undefined && pipeline.id !== id) {
        throw new ValidationError(`the definition's id '${pipeline.id}' differs from the path's '${id}'`, [{ path: 'id', message: `expected '${id}'` }]);
      }
      if (!replace && (files.has(pipeline.id) || (await stored(pipeline.id)).length > 0)) {
        throw new ConflictError(`pipeline '${pipeline.id}' already exists (PUT /v1/pipelines/${pipeline.id} replaces it)`);
      }
      await db.insertInto('pipelines').values({ id: pipeline.id, definition: JSON.stringify(pipeline), created_at: now, updated_at: now })
        .onConflict((c) => c.column('id').doUpdateSet((eb) => ({ definition: eb.ref('excluded.definition'), updated_at: eb.ref('excluded.updated_at') })))
        .execute();
      return present(parsed, 'api');
    },
    async remove(id) {
      const result = await db.deleteFrom('pipelines').where('id', '=', id).executeTakeFirst();
      if (result.numDeletedRows > 0n) return true;
      const file = files.get(id);
      if (file !== undefined) throw new ConflictError(`pipeline '${id}' is ${file.builtin ? 'built in' : `defined in ${file.source}`} and cannot be deleted`);
      throw new NotFoundError(`pipeline '${id}' not found`);
    },
  };
}
