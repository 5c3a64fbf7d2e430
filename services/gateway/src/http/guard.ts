/** Deeper JSON than this is refused: nothing in the contracts nests so far, and deep values break encoders. */
export const MAX_DEPTH = 64;

export interface InputProblem {
  readonly path: string;
  readonly message: string;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Checks raw input for what no contract can accept: U+0000 or a lone UTF-16 surrogate in a
 * string or key (Postgres, where every value ends up, cannot store them in text or jsonb) and
 * nesting deeper than MAX_DEPTH.
 * Iterative, so a hostile body cannot exhaust the stack. Reports the first problem per kind.
 */
export function inputProblems(value: unknown, where: string): InputProblem[] {
  const problems: InputProblem[] = [];
  let nul = false;
  let surrogate = false;
  let deep = false;
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: where, depth: 0 }];
  while (stack.length > 0 && !(nul && surrogate && deep)) {
    const { value: current, path, depth } = stack.pop()!;
    if (typeof current === 'string') {
      if (!nul && current.includes('\u0000')) {
        nul = true;
        problems.push({ path, message: 'must not contain NUL (U+0000) characters' });
      }
      if (!surrogate && LONE_SURROGATE.test(current)) {
        surrogate = true;
        problems.push({ path, message: 'must be valid Unicode (no lone surrogate)' });
      }
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= MAX_DEPTH) {
      if (!deep) problems.push({ path, message: `nested deeper than ${MAX_DEPTH} levels` });
      deep = true;
      continue;
    }
    for (const [key, child] of Object.entries(current)) {
      if (!nul && key.includes('\u0000')) {
        nul = true;
        problems.push({ path, message: 'keys must not contain NUL (U+0000) characters' });
      }
      if (!surrogate && LONE_SURROGATE.test(key)) {
        surrogate = true;
        problems.push({ path, message: 'keys must be valid Unicode (no lone surrogate)' });
      }
      stack.push({ value: child, path: `${path}.${key}`, depth: depth + 1 });
    }
  }
  return problems;
}
