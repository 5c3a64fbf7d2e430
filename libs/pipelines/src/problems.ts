import type { z } from 'zod';
import { ValidationError } from '@cadre/proto';

/** One thing wrong with a pipeline definition, located by file, step (or agent) and field. */
export interface PipelineProblem {
  /** Where the definition came from (file path, `api`, …), when known. */
  readonly file?: string;
  readonly step?: string;
  readonly agent?: string;
  /** The field inside the step or agent (or from the root when neither), e.g. `onResult.APPROVED.goto`. */
  readonly field: string;
  /** The full path from the root, e.g. `steps.2.onResult.APPROVED.goto` (the ValidationError convention). */
  readonly path: string;
  readonly message: string;
  /** Line in the source text (1-based), when the definition was YAML or JSON text we parsed. */
  readonly line?: number;
}

/** Something legal but probably unintended (an unreachable step, …). */
export type PipelineWarning = PipelineProblem;

type Segment = string | number;

/** `onResult.APPROVED.goto`, `outputs[1]`: how a person writes a path. */
export function fieldName(path: readonly Segment[]): string {
  return path.reduce<string>((name, segment) => (typeof segment === 'number' ? `${name}[${segment}]` : name === '' ? segment : `${name}.${segment}`), '');
}

function idAt(raw: unknown, collection: 'steps' | 'agents', index: number): string {
  const list = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[collection] : undefined;
  const item: unknown = Array.isArray(list) ? list[index] : undefined;
  const id = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).id : undefined;
  // A step without a usable id is named by its position, counted from 1 as people count.
  return typeof id === 'string' && id !== '' && id.length <= 64 ? id : `#${index + 1}`;
}

/** Builds a problem from a path in the raw document, naming the step or agent it falls in. */
export function problemAt(raw: unknown, path: readonly Segment[], message: string, file?: string): PipelineProblem {
  const [collection, index, ...rest] = path;
  const base = { path: path.map(String).join('.'), message, ...(file === undefined ? {} : { file }) };
  if ((collection === 'steps' || collection === 'agents') && typeof index === 'number') {
    const id = idAt(raw, collection, index);
    return { ...base, ...(collection === 'steps' ? { step: id } : { agent: id }), field: fieldName(rest) };
  }
  return { ...base, field: fieldName(path) };
}

/** Maps zod issues to problems; an unknown key becomes a problem on that key. */
export function zodProblems(raw: unknown, issues: readonly z.core.$ZodIssue[], file?: string): PipelineProblem[] {
  return issues.flatMap((issue) => {
    const path = issue.path.filter((s): s is Segment => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => problemAt(raw, [...path, key], 'unknown field', file));
    }
    return [problemAt(raw, path, issue.message, file)];
  });
}

/** `engineering.yml: step 'review', field onResult.APPROVED.goto: unknown step 'done'`. */
export function formatProblem(problem: PipelineProblem): string {
  const where: string[] = [];
  if (problem.step !== undefined) where.push(`step '${problem.step}'`);
  if (problem.agent !== undefined) where.push(`agent '${problem.agent}'`);
  if (problem.field !== '') where.push(`field ${problem.field}`);
  const located = where.length > 0 ? `${where.join(', ')}: ${problem.message}` : problem.message;
  const line = problem.line === undefined ? '' : `line ${problem.line}: `;
  if (problem.file === undefined) return `${line}${located}`;
  return problem.line === undefined ? `${problem.file}: ${located}` : `${problem.file}:${problem.line}: ${located}`;
}

const MAX_LISTED = 10;

/** One ValidationError for all problems: each is in `details`, the first ten in the message. */
export function pipelineValidationError(problems: readonly PipelineProblem[], file?: string): ValidationError {
  // Compiler style, `file:line: step 'x', field y: message`, which editors and people both read.
  const lines = problems.slice(0, MAX_LISTED).map((problem) => formatProblem(problem.file === undefined && file !== undefined ? { ...problem, file } : problem));
  if (problems.length > MAX_LISTED) lines.push(`… and ${problems.length - MAX_LISTED} more`);
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new ValidationError(`invalid pipeline definition (${count}): ${lines.join('; ')}`, problems);
}
