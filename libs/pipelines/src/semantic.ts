import { assertNever } from './assert-never';
import { propertyEnum, schemaProperties } from './json-schema-check';
import { continuationCycle, findStep, loopOwner, predecessors, resultRoutes, unreachableSteps } from './graph';
import { problemAt, type PipelineProblem } from './problems';
import { ANY_RESULT, normalizeResultValue } from './result-value';
import { END, type Pipeline, type PipelineStep } from './schema';
import { parseReference, templateTags } from './template';

/** What the semantic checks need beyond the pipeline. */
export interface SemanticOptions {
  readonly file?: string;
  /** Agents that exist outside the pipeline (in Cadre's agent registry). */
  readonly knownAgents?: ReadonlySet<string>;
}

/** Problems make the pipeline invalid; warnings do not. */
export interface SemanticResult {
  readonly problems: readonly PipelineProblem[];
  readonly warnings: readonly PipelineProblem[];
}

type Path = ReadonlyArray<string | number>;

const KNOWN_VARIABLES = 'task_description, human_context, project_name, feedback, steps.<id>.outputs.<name>, loop.item, loop.index, loop.number, loop.count';

function listed(values: readonly string[]): string {
  return values.length === 0 ? 'none' : values.slice(0, 12).join(', ') + (values.length > 12 ? ', …' : '');
}

/** Indexes of entries whose value appeared earlier in the list. */
function repeats(values: readonly string[]): number[] {
  return values.flatMap((value, index) => (values.indexOf(value) !== index ? [index] : []));
}

/** Cross-field checks of a pipeline that already matches the schema. */
export function semanticCheck(pipeline: Pipeline, options: SemanticOptions = {}): SemanticResult {
  const problems: PipelineProblem[] = [];
  const warnings: PipelineProblem[] = [];
  const report = (path: Path, message: string): void => void problems.push(problemAt(pipeline, path, message, options.file));
  const warn = (path: Path, message: string): void => void warnings.push(problemAt(pipeline, path, message, options.file));
  const stepIds = pipeline.steps.map((step) => step.id);
  const agentIds = new Set(pipeline.agents.map((agent) => agent.id));
  const before = predecessors(pipeline);

  for (const index of repeats(pipeline.agents.map((agent) => agent.id))) report(['agents', index, 'id'], 'duplicate agent id');
  for (const index of repeats(stepIds)) report(['steps', index, 'id'], 'duplicate step id');

  const checkTarget = (path: Path, target: string | undefined): void => {
    if (target !== undefined && target !== END && findStep(pipeline, target) === undefined) {
      report(path, `unknown step '${target}' (steps: ${listed(stepIds)}; '${END}' ends the run)`);
    }
  };

  const checkOutputRef = (path: Path, label: string, source: string, output: string, consumer: PipelineStep, allowSelf: boolean): void => {
    const producer = findStep(pipeline, source);
    if (producer === undefined) return report(path, `${label}: there is no step '${source}' (steps: ${listed(stepIds)})`);
    if (!producer.outputs.includes(output)) {
      return report(path, `${label}: step '${source}' declares no output '${output}' (it declares: ${listed(producer.outputs)})`);
    }
    if (allowSelf && source === consumer.id) return;
    if (!before.get(consumer.id)?.has(source)) report(path, `${label}: step '${source}' can never run before step '${consumer.id}'`);
  };

  const inLoop = (step: PipelineStep): boolean => step.loop !== undefined || loopOwner(pipeline, step.id) !== undefined;

  // `allowSelf`: routing messages are rendered after the step, so its own outputs exist then.
  const checkTemplate = (path: Path, template: string, step: PipelineStep, allowSelf: boolean): void => {
    for (const { expression, ref } of templateTags(template)) {
      const label = `{{${expression.slice(0, 80)}}}`;
      switch (ref.kind) {
        case 'run':
          break;
        case 'unknown':
          report(path, `${label}: ${ref.reason}${ref.reason === 'unknown variable' ? ` (known: ${KNOWN_VARIABLES})` : ''}`);
          break;
        case 'step_output':
          checkOutputRef(path, label, ref.step, ref.output, step, allowSelf);
          break;
        case 'loop_item':
        case 'loop_position':
          if (!inLoop(step)) report(path, `${label}: loop variables exist only in a loop step and its onEachComplete step`);
          break;
        default:
          assertNever(ref);
      }
    }
  };

  const checkResults = (step: PipelineStep, at: Path): void => {
    if (step.onResult === undefined) return;
    const routes = resultRoutes(step);
    if (routes.length === 0) report([...at, 'onResult'], 'expected at least one value to route on');
    const named = step.onResult.output;
    if (named !== undefined && !step.outputs.includes(named)) {
      report([...at, 'onResult', 'output'], `the step declares no output '${named}' (it declares: ${listed(step.outputs)})`);
    }
    if (named === undefined && step.outputs.length !== 1) {
      report([...at, 'onResult', 'output'], step.outputs.length === 0
        ? 'the step declares no outputs to route on; add one to outputs'
        : `name the output to route on (the step declares ${listed(step.outputs)})`);
    }
    const routed = named ?? (step.outputs.length === 1 ? step.outputs[0] : undefined);
    const allowed = routed === undefined ? undefined : propertyEnum(step.structuredOutput, routed)?.map(normalizeResultValue);
    const seen = new Map<string, string>();
    for (const [key, action] of routes) {
      const path = [...at, 'onResult', key];
      const value = key === ANY_RESULT ? key : normalizeResultValue(key);
      if (value === '') report(path, 'a value to route on needs a letter or a digit');
      const earlier = seen.get(value);
      if (earlier !== undefined) report(path, `'${key}' and '${earlier}' are the same value (matching ignores case and punctuation)`);
      seen.set(value, key);
      if (allowed !== undefined && key !== ANY_RESULT && value !== '' && !allowed.includes(value)) {
        warn(path, `'${key}' is not in the enum of output '${routed}', so it never matches`);
      }
      checkTarget([...path, 'goto'], action.goto);
      if (action.feedback !== undefined) checkTemplate([...path, 'feedback'], action.feedback, step, true);
      if (action.notify !== undefined) checkTemplate([...path, 'notify'], action.notify, step, true);
      if (action.fail !== undefined) checkTemplate([...path, 'fail'], action.fail, step, true);
    }
  };

  const checkLoop = (step: PipelineStep, at: Path): void => {
    const loop = step.loop;
    if (loop === undefined) return;
    const over = loop.over.trim();
    const ref = parseReference(over);
    if (ref.kind !== 'step_output') report([...at, 'loop', 'over'], `expected {{steps.<id>.outputs.<name>}}, got '${over.slice(0, 80)}'`);
    else checkOutputRef([...at, 'loop', 'over'], `'${over}'`, ref.step, ref.output, step, false);
    const each = loop.onEachComplete;
    const target = each === undefined ? undefined : findStep(pipeline, each);
    if (each !== undefined && target === undefined) checkTarget([...at, 'loop', 'onEachComplete'], each);
    else if (each === step.id) report([...at, 'loop', 'onEachComplete'], 'a loop step cannot run after its own items');
    else if (target?.loop !== undefined) report([...at, 'loop', 'onEachComplete'], `nested loops are not supported: step '${each}' is a loop`);
    else if (each !== undefined && pipeline.steps.filter((s) => s.loop?.onEachComplete === each).length > 1) {
      report([...at, 'loop', 'onEachComplete'], `step '${each}' already runs after the items of another loop`);
    }
    checkTarget([...at, 'loop', 'onAllComplete'], loop.onAllComplete);
    if (loop.onAllComplete !== undefined && step.onComplete !== undefined) {
      report([...at, 'onComplete'], 'a loop step continues with loop.onAllComplete; remove onComplete');
    }
    if (each !== undefined && loop.onAllComplete === undefined && step.onComplete === undefined) {
      report([...at, 'loop', 'onAllComplete'], `say where to go after the last item (a step id, or '${END}')`);
    }
  };

  pipeline.steps.forEach((step, index) => {
    const at = ['steps', index] as const;
    if (!agentIds.has(step.agent) && !options.knownAgents?.has(step.agent)) {
      report([...at, 'agent'], `unknown agent '${step.agent}' (declared: ${listed([...agentIds])}; or an agent known to Cadre)`);
    }
    for (const repeat of repeats(step.outputs)) report([...at, 'outputs', repeat], 'duplicate output name');
    const properties = schemaProperties(step.structuredOutput);
    for (const output of step.outputs) {
      if (properties !== undefined && !properties.has(output)) {
        report([...at, 'structuredOutput', 'properties'], `declared output '${output}' is not a property of the schema`);
      }
    }
    checkTarget([...at, 'onComplete'], step.onComplete);
    checkTemplate([...at, 'input'], step.input, step, false);
    checkResults(step, at);
    checkLoop(step, at);
  });

  const cycle = continuationCycle(pipeline);
  if (cycle !== undefined && cycle[0] !== undefined) {
    report(['steps', stepIds.indexOf(cycle[0]), 'onComplete'],
      `${cycle.join(' → ')} hand over to each other unconditionally (onComplete or the next step listed), so the run never ends; route back through onResult instead`);
  }
  for (const id of unreachableSteps(pipeline)) warn(['steps', stepIds.indexOf(id)], `no route leads to this step from the first step '${stepIds[0]}'`);
  const used = new Set(pipeline.steps.map((step) => step.agent));
  pipeline.agents.forEach((agent, index) => {
    if (!used.has(agent.id)) warn(['agents', index], 'no step uses this agent');
  });
  return { problems, warnings };
}
