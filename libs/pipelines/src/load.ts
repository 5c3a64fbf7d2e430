import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '@cadre/proto';
import { MAX_DEFINITION_BYTES, parsePipeline, type LoadedPipeline } from './parse';
import { pipelineValidationError } from './problems';

/** Where the built-in pipelines live (the package's `pipelines/` folder, from src or dist). */
export const BUILTIN_PIPELINES_DIR = resolve(__dirname, '..', 'pipelines');

/** The config variable of custom pipelines, for a service's `loadConfig` shape. */
export const pipelinesConfigShape = {
  CADRE_PIPELINES_DIR: z.string().min(1).optional().describe('Folder of custom pipeline files (*.yml, *.yaml, *.json)'),
};

/** A file of a folder that did not load, and why. */
export interface PipelineLoadError {
  readonly file: string;
  readonly error: ValidationError;
}

/** What loading a folder produced: the good pipelines and one error per bad file. */
export interface PipelineSet {
  readonly pipelines: readonly LoadedPipeline[];
  readonly errors: readonly PipelineLoadError[];
}

/** Options shared by the loaders. */
export interface LoadOptions {
  /** Agent ids that exist outside the pipelines; steps may use them. */
  readonly knownAgents?: Iterable<string>;
}

const EXTENSIONS = ['.yml', '.yaml', '.json'];

function problem(file: string, message: string): ValidationError {
  return pipelineValidationError([{ file, field: '', path: '', message }], file);
}

/** Reads and validates one definition file; throws a ValidationError naming the file. */
export async function loadPipelineFile(path: string, options: LoadOptions = {}): Promise<LoadedPipeline> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.size > MAX_DEFINITION_BYTES) throw problem(path, `file larger than ${MAX_DEFINITION_BYTES} bytes`);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw problem(path, `cannot read the file: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parsePipeline(text, { source: path, ...(options.knownAgents === undefined ? {} : { knownAgents: options.knownAgents }) });
}

/**
 * Loads every `*.yml`, `*.yaml` and `*.json` of a folder (not its subfolders, not hidden
 * files), in name order. A bad file does not stop the others: it is listed in `errors`, as is
 * a second file defining an id already taken.
 */
export async function loadPipelineDir(dir: string, options: LoadOptions = {}): Promise<PipelineSet> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (cause) {
    throw new NotFoundError(`pipelines folder ${dir} cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  const files = names
    .filter((name) => !name.startsWith('.') && EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext)))
    .sort()
    .map((name) => join(dir, name));
  const pipelines: LoadedPipeline[] = [];
  const errors: PipelineLoadError[] = [];
  for (const file of files) {
    try {
      const loaded = await loadPipelineFile(file, options);
      const taken = pipelines.find((other) => other.pipeline.id === loaded.pipeline.id);
      if (taken === undefined) pipelines.push(loaded);
      else errors.push({ file, error: problem(file, `pipeline id '${loaded.pipeline.id}' is already defined in ${basename(taken.source)}`) });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      errors.push({ file, error });
    }
  }
  return { pipelines, errors };
}

/** The pipelines shipped with Cadre (`engineering`, `planning`, `demo`, …); they must be valid. */
export async function builtinPipelines(options: LoadOptions = {}): Promise<readonly LoadedPipeline[]> {
  const { pipelines, errors } = await loadPipelineDir(BUILTIN_PIPELINES_DIR, options);
  const [first] = errors;
  // A broken built-in is a bug in Cadre, not a user mistake: refuse to start with it.
  if (first !== undefined) throw first.error;
  return pipelines.map((loaded) => ({ ...loaded, builtin: true }));
}

/** Options of `loadPipelines`. */
export interface LoadPipelinesOptions extends LoadOptions {
  /** Include the built-in pipelines (default true). */
  readonly builtins?: boolean;
  /** Folder of custom pipelines, usually `CADRE_PIPELINES_DIR`. */
  readonly dir?: string;
}

/** `loadPipelines`' result: `overridden` lists built-in ids that a custom pipeline replaced. */
export interface MergedPipelineSet extends PipelineSet {
  readonly overridden: readonly string[];
}

/**
 * The built-ins plus a folder of custom pipelines, sorted by id. A custom pipeline with the id
 * of a built-in replaces it (how a deployment changes, say, the engineering flow's model).
 */
export async function loadPipelines(options: LoadPipelinesOptions = {}): Promise<MergedPipelineSet> {
  const builtins = options.builtins === false ? [] : await builtinPipelines(options);
  const custom = options.dir === undefined ? { pipelines: [], errors: [] } : await loadPipelineDir(options.dir, options);
  const byId = new Map<string, LoadedPipeline>(builtins.map((loaded) => [loaded.pipeline.id, loaded]));
  const overridden: string[] = [];
  for (const loaded of custom.pipelines) {
    if (byId.get(loaded.pipeline.id)?.builtin === true) overridden.push(loaded.pipeline.id);
    byId.set(loaded.pipeline.id, loaded);
  }
  const pipelines = [...byId.values()].sort((a, b) => a.pipeline.id.localeCompare(b.pipeline.id));
  return { pipelines, errors: custom.errors, overridden };
}
