import { NotFoundError } from '@cadre/proto';
import { findStep } from './graph';
import type { Pipeline, PipelineAgent, PipelineStep } from './schema';

/** The limits and model a step runs with, after applying step, agent and pipeline settings. */
export interface StepSettings {
  readonly agentId: string;
  /** The agent when the pipeline declares it; undefined for an agent from Cadre's registry. */
  readonly agent: PipelineAgent | undefined;
  readonly model: string;
  /**
   * Where the model came from. `defaults` with an agent from the registry means that agent's
   * own model (which this package cannot see) should win, as a declared agent's would.
   */
  readonly modelSource: 'step' | 'agent' | 'defaults';
  readonly timeoutSeconds: number;
  readonly maxRetries: number;
  readonly maxTurns: number;
  readonly temperature: number;
  readonly maxTokens: number | undefined;
  readonly maxVisits: number;
  readonly tools: readonly string[] | undefined;
  readonly structuredOutput: Readonly<Record<string, unknown>> | undefined;
}

/** The step, or a NotFoundError naming the pipeline and the step. */
export function requireStep(pipeline: Pipeline, stepId: string): PipelineStep {
  const step = findStep(pipeline, stepId);
  if (step === undefined) throw new NotFoundError(`pipeline '${pipeline.id}' has no step '${stepId}'`);
  return step;
}

/** Settings of a step: the step's own, else its agent's model, else the pipeline defaults. */
export function effectiveStepSettings(pipeline: Pipeline, stepId: string): StepSettings {
  const step = requireStep(pipeline, stepId);
  const { defaults } = pipeline;
  const agent = pipeline.agents.find((candidate) => candidate.id === step.agent);
  const [model, modelSource] =
    step.model !== undefined ? [step.model, 'step' as const]
    : agent?.model !== undefined ? [agent.model, 'agent' as const]
    : [defaults.model, 'defaults' as const];
  return {
    agentId: step.agent,
    agent,
    model,
    modelSource,
    timeoutSeconds: step.timeoutSeconds ?? defaults.timeoutSeconds,
    maxRetries: step.maxRetries ?? defaults.maxRetries,
    maxTurns: step.maxTurns ?? defaults.maxTurns,
    temperature: step.temperature ?? defaults.temperature,
    maxTokens: step.maxTokens ?? defaults.maxTokens,
    maxVisits: step.maxVisits ?? defaults.maxVisits,
    tools: agent?.tools,
    structuredOutput: step.structuredOutput,
  };
}
