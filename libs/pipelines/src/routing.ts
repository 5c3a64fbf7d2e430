import { defaultNext, findStep, loopOwner, resultRoutes } from './graph';
import { ANY_RESULT, normalizeResultValue, resultValueText } from './result-value';
import { END, type Pipeline, type PipelineStep, type ResultAction } from './schema';
import { effectiveStepSettings, requireStep } from './settings';
import { parseReference, renderTemplate, valueToText, walkPath, type RunOutputs, type TemplateContext } from './template';

/** Which item of which loop a step runs for; `index` counts from 0. */
export interface LoopPosition {
  readonly step: string;
  readonly index: number;
  readonly count: number;
}

/** Run a step next (for a loop item when `loop` is set), or finish the run successfully. */
export type FlowAction =
  | { readonly kind: 'goto'; readonly step: string; readonly loop?: LoopPosition }
  | { readonly kind: 'complete' };

/** Fail the run with this message. */
export interface FailAction {
  readonly kind: 'fail';
  readonly error: string;
}

/** What the orchestrator does after a step completed. */
export type NextAction =
  | FlowAction
  | FailAction
  /** Run the same step again (same loop item), giving it `feedback` as `{{feedback}}`. */
  | { readonly kind: 'retry'; readonly feedback: string }
  /** Tell the humans watching, then do `then`. */
  | { readonly kind: 'notify'; readonly message: string; readonly then: FlowAction | FailAction };

/** What `nextAction` may need beyond the step's outputs. */
export interface NextActionOptions {
  /** Run values for the feedback, notify and fail templates; the step's outputs are added to it. */
  readonly context?: TemplateContext;
  /** Set when the step ran for a loop item (the loop step, or its onEachComplete step). */
  readonly loop?: LoopPosition;
  /** onResult retries this step already had; at the step's maxRetries a retry becomes a fail. */
  readonly retriesUsed?: number;
  /**
   * How often each step already ran (the orchestrator may count per loop item). A route chosen
   * by onResult into a step that reached its maxVisits fails the run instead of looping on.
   */
  readonly visits?: Readonly<Record<string, number>>;
}

/** The step a run starts with. */
export function firstStep(pipeline: Pipeline): string {
  const [first] = pipeline.steps;
  // The schema requires at least one step; this guards hand-built objects.
  if (first === undefined) throw new Error(`pipeline '${pipeline.id}' has no steps`);
  return first.id;
}

function flowTo(target: string): FlowAction {
  return target === END ? { kind: 'complete' } : { kind: 'goto', step: target };
}

/** Where the run goes after the last item of a loop (or when the list is empty). */
export function afterLoop(pipeline: Pipeline, loopStepId: string): FlowAction {
  return flowTo(defaultNext(pipeline, requireLoop(pipeline, loopStepId)));
}

/** Where the run goes once an item is fully done (loop step and its onEachComplete step). */
export function afterLoopItem(pipeline: Pipeline, position: LoopPosition): FlowAction {
  if (position.index + 1 < position.count) return { kind: 'goto', step: position.step, loop: { ...position, index: position.index + 1 } };
  return afterLoop(pipeline, position.step);
}

function requireLoop(pipeline: Pipeline, stepId: string): PipelineStep {
  const step = requireStep(pipeline, stepId);
  if (step.loop === undefined) throw new Error(`step '${stepId}' of pipeline '${pipeline.id}' is not a loop`);
  return step;
}

/** The loop a step belongs to, checked against the position the caller gave. */
function loopOf(pipeline: Pipeline, step: PipelineStep, position: LoopPosition | undefined): PipelineStep | undefined {
  const loopStep = step.loop !== undefined ? step : loopOwner(pipeline, step.id);
  if (position === undefined) {
    // A loop step only ever runs for an item; without one the caller has lost track of the loop.
    if (step.loop !== undefined) throw new Error(`step '${step.id}' is a loop step: pass options.loop`);
    return undefined;
  }
  if (loopStep?.id !== position.step) throw new Error(`step '${step.id}' is not part of loop '${position.step}'`);
  return loopStep;
}

/** Where a step goes when no onResult route applies. */
function continuation(pipeline: Pipeline, step: PipelineStep, position: LoopPosition | undefined): FlowAction {
  const loopStep = loopOf(pipeline, step, position);
  if (loopStep === undefined || position === undefined) return flowTo(defaultNext(pipeline, step));
  const each = loopStep.loop?.onEachComplete;
  if (step.id === loopStep.id && each !== undefined) return { kind: 'goto', step: each, loop: position };
  return afterLoopItem(pipeline, position);
}

/** The onResult route the outputs select: an exact value first, then `*`. */
export function matchResult(step: PipelineStep, outputs: Readonly<Record<string, unknown>>): ResultAction | undefined {
  const routes = resultRoutes(step);
  if (routes.length === 0) return undefined;
  const name = step.onResult?.output ?? step.outputs[0];
  const value = name !== undefined && Object.hasOwn(outputs, name) ? resultValueText(outputs[name]) : undefined;
  const exact = value === undefined ? undefined : routes.find(([key]) => key !== ANY_RESULT && normalizeResultValue(key) === value);
  return (exact ?? routes.find(([key]) => key === ANY_RESULT))?.[1];
}

function defaultFeedback(step: PipelineStep, outputs: Readonly<Record<string, unknown>>): string {
  const lines = step.outputs.map((name) => `${name}: ${valueToText(Object.hasOwn(outputs, name) ? outputs[name] : undefined) ?? '(none)'}`);
  return [`Step '${step.id}' asked for another attempt. Its previous result was:`, ...lines].join('\n');
}

/**
 * What follows a completed step: its matching onResult route if any, else the loop's next
 * move when the step ran for a loop item, else onComplete (or the next step listed, or the
 * end). Deterministic: the same inputs always give the same action.
 */
export function nextAction(pipeline: Pipeline, stepId: string, outputs: Readonly<Record<string, unknown>>, options: NextActionOptions = {}): NextAction {
  const step = requireStep(pipeline, stepId);
  const position = options.loop;
  const loopStep = loopOf(pipeline, step, position);
  const action = matchResult(step, outputs);
  if (action === undefined) return continuation(pipeline, step, position);

  const context: TemplateContext = { ...options.context, outputs: { ...options.context?.outputs, [step.id]: outputs } };
  const render = (template: string): string => renderTemplate(template, context).text;
  const routeTo = (target: string): FlowAction | FailAction => {
    if (target === END) return { kind: 'complete' };
    const visits = options.visits?.[target] ?? 0;
    const limit = effectiveStepSettings(pipeline, target).maxVisits;
    if (visits >= limit) return { kind: 'fail', error: `step '${target}' already ran ${visits} times (maxVisits ${limit}); stopping the run instead of looping on` };
    // Routing back into the current loop (e.g. review → implement) stays on the same item.
    const staysInLoop = loopStep !== undefined && (target === loopStep.id || target === loopStep.loop?.onEachComplete);
    return staysInLoop && position !== undefined ? { kind: 'goto', step: target, loop: position } : { kind: 'goto', step: target };
  };

  if (action.retry === true) {
    const used = options.retriesUsed ?? 0;
    const limit = effectiveStepSettings(pipeline, step.id).maxRetries;
    if (used >= limit) return { kind: 'fail', error: `step '${step.id}' asked for another attempt but has used its ${limit} retries` };
    return { kind: 'retry', feedback: action.feedback === undefined ? defaultFeedback(step, outputs) : render(action.feedback) };
  }
  if (action.fail !== undefined) return { kind: 'fail', error: render(action.fail) };
  const then = action.goto !== undefined ? routeTo(action.goto) : continuation(pipeline, step, position);
  if (action.notify !== undefined) return { kind: 'notify', message: render(action.notify), then };
  return then;
}

const LIST_MARKER = /^(?:[-*+•]|\d{1,4}[.)])\s+/;

/** A list from a step output: an array as is, JSON array text, or one item per non-empty line. */
export function toLoopItems(value: unknown): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string') return [value];
  const text = value.trim();
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // Not JSON after all: read it as lines.
    }
  }
  return text.split(/\r?\n/).map((line) => line.trim().replace(LIST_MARKER, '').trim()).filter((line) => line !== '');
}

/** The items a loop step runs over, read from the run's outputs so far. */
export function loopItems(pipeline: Pipeline, stepId: string, outputs: RunOutputs): readonly unknown[] {
  const step = requireLoop(pipeline, stepId);
  const ref = parseReference(step.loop?.over ?? '');
  if (ref.kind !== 'step_output' || findStep(pipeline, ref.step) === undefined || !Object.hasOwn(outputs, ref.step)) return [];
  return toLoopItems(walkPath(outputs[ref.step], [ref.output, ...ref.path]));
}

/**
 * The outputs a loop step leaves for later steps once all items ran: each declared output as
 * the list of the items' values, in item order (a missing value is null, keeping positions).
 */
export function loopStepOutputs(pipeline: Pipeline, loopStepId: string, perItem: ReadonlyArray<Readonly<Record<string, unknown>>>): Readonly<Record<string, unknown[]>> {
  const step = requireLoop(pipeline, loopStepId);
  return Object.fromEntries(step.outputs.map((name) => [name, perItem.map((outputs) => (Object.hasOwn(outputs, name) ? outputs[name] : null))]));
}
