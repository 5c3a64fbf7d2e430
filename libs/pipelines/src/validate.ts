import { pipelineValidationError, problemAt, zodProblems, type PipelineProblem, type PipelineWarning } from './problems';
import { Pipeline } from './schema';
import { semanticCheck } from './semantic';

/** Options of validation. */
export interface ValidateOptions {
  /** Where the definition came from; named in every problem. */
  readonly source?: string;
  /** Agent ids that exist outside the pipeline (Cadre's agent registry); steps may use them. */
  readonly knownAgents?: Iterable<string>;
  /** Finds the line of a path (`['steps', 2, 'agent']`) in the source text, to point at it. */
  readonly locate?: (path: ReadonlyArray<string | number>) => number | undefined;
}

/** A valid pipeline and what looked unintended in it. */
export interface ValidatedPipeline {
  readonly pipeline: Pipeline;
  readonly warnings: readonly PipelineWarning[];
}

const MAX_DEPTH = 64;

/**
 * `__proto__` as a key would change an object's prototype when a parser or zod copies it, so
 * it is refused before anything copies the document. Depth is bounded for the same reason
 * recursion is: a hostile body must not exhaust the stack.
 */
function unsafeKeys(raw: unknown, file: string | undefined): PipelineProblem[] {
  const problems: PipelineProblem[] = [];
  const visit = (value: unknown, path: ReadonlyArray<string | number>): void => {
    if (typeof value !== 'object' || value === null) return;
    if (path.length > MAX_DEPTH) {
      problems.push(problemAt(raw, path, `nested deeper than ${MAX_DEPTH} levels`, file));
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index]));
      return;
    }
    for (const key of Object.keys(value)) {
      if (key === '__proto__') problems.push(problemAt(raw, [...path, key], 'the key "__proto__" is not allowed', file));
      else visit((value as Record<string, unknown>)[key], [...path, key]);
    }
  };
  visit(raw, []);
  return problems;
}

/**
 * Validates a parsed document (from YAML or JSON): the schema first, then the cross-field
 * checks. Throws one ValidationError listing every problem, each naming file, step and field.
 */
export function validatePipeline(raw: unknown, options: ValidateOptions = {}): ValidatedPipeline {
  const file = options.source;
  const located = (problems: readonly PipelineProblem[]): PipelineProblem[] => problems.map((problem) => withLine(problem, options.locate));
  const unsafe = unsafeKeys(raw, file);
  if (unsafe.length > 0) throw pipelineValidationError(located(unsafe), file);
  const parsed = Pipeline.safeParse(raw);
  if (!parsed.success) throw pipelineValidationError(located(zodProblems(raw, parsed.error.issues, file)), file);
  const knownAgents = new Set(options.knownAgents ?? []);
  const { problems, warnings } = semanticCheck(parsed.data, { knownAgents, ...(file === undefined ? {} : { file }) });
  if (problems.length > 0) throw pipelineValidationError(located(problems), file);
  return { pipeline: parsed.data, warnings: located(warnings) };
}

function withLine(problem: PipelineProblem, locate: ValidateOptions['locate']): PipelineProblem {
  if (locate === undefined || problem.path === '') return problem;
  // Problem paths are dotted; a numeric segment is a list position (or a numeric YAML key, also a number).
  const segments = problem.path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const line = locate(segments);
  return line === undefined ? problem : { ...problem, line };
}
