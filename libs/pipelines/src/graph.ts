import { END, type Pipeline, type PipelineStep, type ResultAction } from './schema';

/** A step id or END. */
export type StepTarget = string;

/** The step with this id, if any. */
export function findStep(pipeline: Pipeline, stepId: string): PipelineStep | undefined {
  return pipeline.steps.find((step) => step.id === stepId);
}

/** The loop step whose `onEachComplete` is this step, if any. */
export function loopOwner(pipeline: Pipeline, stepId: string): PipelineStep | undefined {
  return pipeline.steps.find((step) => step.loop?.onEachComplete === stepId);
}

/** The routes of `onResult` without its `output` key. */
export function resultRoutes(step: PipelineStep): ReadonlyArray<readonly [string, ResultAction]> {
  const routes = step.onResult;
  if (routes === undefined) return [];
  return Object.entries(routes).flatMap(([key, value]) => (key === 'output' || typeof value === 'string' || value === undefined ? [] : [[key, value] as const]));
}

/**
 * Where a step goes when nothing in `onResult` applies and it is not inside a running loop:
 * a loop step uses `loop.onAllComplete`, any step `onComplete`, else the next step listed,
 * else the end of the run.
 */
export function defaultNext(pipeline: Pipeline, step: PipelineStep): StepTarget {
  const explicit = step.loop?.onAllComplete ?? step.onComplete;
  if (explicit !== undefined) return explicit;
  const index = pipeline.steps.indexOf(step);
  return pipeline.steps[index + 1]?.id ?? END;
}

/** Every step a step may hand over to (any route), END excluded. */
export function successors(pipeline: Pipeline, step: PipelineStep): readonly string[] {
  const targets = new Set<string>([defaultNext(pipeline, step)]);
  for (const [, action] of resultRoutes(step)) {
    if (action.goto !== undefined) targets.add(action.goto);
    if (action.retry === true) targets.add(step.id);
  }
  if (step.loop?.onEachComplete !== undefined) targets.add(step.loop.onEachComplete);
  const owner = loopOwner(pipeline, step.id);
  if (owner !== undefined) targets.add(owner.id);
  targets.delete(END);
  return [...targets];
}

/** Step ids reachable from `from` through one or more hand-overs. */
export function reachableFrom(pipeline: Pipeline, from: string): ReadonlySet<string> {
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const current = findStep(pipeline, queue.shift() as string);
    if (current === undefined) continue;
    for (const next of successors(pipeline, current)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

/** For each step, the steps that can have run before it in the same run. */
export function predecessors(pipeline: Pipeline): ReadonlyMap<string, ReadonlySet<string>> {
  const before = new Map<string, Set<string>>(pipeline.steps.map((step) => [step.id, new Set<string>()]));
  for (const step of pipeline.steps) {
    for (const reached of reachableFrom(pipeline, step.id)) before.get(reached)?.add(step.id);
  }
  return before;
}

/** Steps that no route leads to from the first step. */
export function unreachableSteps(pipeline: Pipeline): readonly string[] {
  const first = pipeline.steps[0];
  if (first === undefined) return [];
  const reached = reachableFrom(pipeline, first.id);
  return pipeline.steps.filter((step) => step.id !== first.id && !reached.has(step.id)).map((step) => step.id);
}

/**
 * A cycle made only of unconditional hand-overs (onComplete, the implicit next step,
 * onAllComplete): such a run never ends. Steps run after each loop item are left out, because
 * the loop's end breaks their cycle. Returns the step ids of the first cycle found.
 */
export function continuationCycle(pipeline: Pipeline): readonly string[] | undefined {
  const next = new Map<string, string>();
  for (const step of pipeline.steps) {
    if (loopOwner(pipeline, step.id) !== undefined) continue;
    const target = defaultNext(pipeline, step);
    if (target !== END) next.set(step.id, target);
  }
  const done = new Set<string>();
  for (const start of next.keys()) {
    const path: string[] = [];
    let current: string | undefined = start;
    while (current !== undefined && !done.has(current)) {
      const at = path.indexOf(current);
      if (at !== -1) return [...path.slice(at), current];
      path.push(current);
      current = next.get(current);
    }
    path.forEach((id) => done.add(id));
  }
  return undefined;
}
