import { isNode, LineCounter, parseDocument } from 'yaml';
import { pipelineValidationError, type PipelineWarning } from './problems';
import type { Pipeline } from './schema';
import { validatePipeline } from './validate';

/** The text formats a definition may come in. */
export type PipelineFormat = 'yaml' | 'json';

/** Options of `parsePipeline`. */
export interface ParseOptions {
  /** `json` parses strictly; the default is JSON for a `.json` source, else YAML (which reads JSON too). */
  readonly format?: PipelineFormat;
  /** Named in every problem: a file path, or e.g. `api` for a request body. */
  readonly source?: string;
  /** Agent ids that exist outside the pipeline; steps may use them. */
  readonly knownAgents?: Iterable<string>;
}

/** A validated pipeline with where it came from. */
export interface LoadedPipeline {
  readonly pipeline: Pipeline;
  readonly source: string;
  readonly builtin: boolean;
  readonly warnings: readonly PipelineWarning[];
}

/** Larger definitions are refused before parsing; real ones are a few kilobytes. */
export const MAX_DEFINITION_BYTES = 1024 * 1024;
// YAML aliases can expand a small text into a huge value ("billion laughs").
const MAX_ALIASES = 50;

function formatOf(options: ParseOptions): PipelineFormat {
  if (options.format !== undefined) return options.format;
  // YAML 1.2 reads JSON too, and unlike JSON.parse it tells the line of a problem.
  return options.source?.toLowerCase().endsWith('.json') === true ? 'json' : 'yaml';
}

function fail(source: string | undefined, message: string, line?: number): never {
  const problem = { field: '', path: '', message, ...(source === undefined ? {} : { file: source }), ...(line === undefined ? {} : { line }) };
  throw pipelineValidationError([problem], source);
}

function parseYaml(text: string, source: string | undefined): { raw: unknown; locate: (path: ReadonlyArray<string | number>) => number | undefined } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [error] = doc.errors;
  if (error !== undefined) {
    const at = lineCounter.linePos(error.pos[0]);
    fail(source, `YAML syntax error (column ${at.col}): ${error.message}`, at.line);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (cause) {
    fail(source, `YAML could not be read: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  const locate = (path: ReadonlyArray<string | number>): number | undefined => {
    // The deepest node that exists: a missing field is reported at its parent.
    for (let length = path.length; length >= 0; length -= 1) {
      const node: unknown = doc.getIn(path.slice(0, length), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return { raw, locate };
}

function parseJson(text: string, source: string | undefined): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    return fail(source, `not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * Parses and validates a definition given as text (a file, or a `POST /v1/pipelines` body in
 * JSON or YAML). Throws a ValidationError naming file, step and field of every problem.
 */
export function parsePipeline(text: string, options: ParseOptions = {}): LoadedPipeline {
  const source = options.source;
  if (Buffer.byteLength(text, 'utf8') > MAX_DEFINITION_BYTES) fail(source, `definition larger than ${MAX_DEFINITION_BYTES} bytes`);
  const format = formatOf(options);
  const base = { ...(source === undefined ? {} : { source }), ...(options.knownAgents === undefined ? {} : { knownAgents: options.knownAgents }) };
  if (format === 'json') {
    const { pipeline, warnings } = validatePipeline(parseJson(text, source), base);
    return { pipeline, warnings, source: source ?? 'json', builtin: false };
  }
  const { raw, locate } = parseYaml(text, source);
  const { pipeline, warnings } = validatePipeline(raw, { ...base, locate });
  return { pipeline, warnings, source: source ?? 'yaml', builtin: false };
}

/** Validates an already parsed body (e.g. JSON decoded by the HTTP layer). */
export function parsePipelineObject(raw: unknown, options: Omit<ParseOptions, 'format'> = {}): LoadedPipeline {
  const { pipeline, warnings } = validatePipeline(raw, options);
  return { pipeline, warnings, source: options.source ?? 'object', builtin: false };
}
