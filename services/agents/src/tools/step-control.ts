import type { LlmToolSpec } from '@cadre/llm';
import type { StepJob } from '@cadre/proto';

/** The output name a step without declared outputs uses for the model's answer. */
export const DEFAULT_OUTPUT = 'result';

/** Output names of a step: the declared ones, or `result`. */
export function outputNames(job: StepJob): readonly string[] {
  return job.outputs.length > 0 ? job.outputs : [DEFAULT_OUTPUT];
}

/** `complete`: its parameters are the structured-output schema, or one string per declared output. */
export function completeTool(job: StepJob): LlmToolSpec {
  const parameters = job.structured_output ?? {
    type: 'object',
    properties: Object.fromEntries(outputNames(job).map((name) => [name, { type: 'string', description: `The step's output "${name}"` }])),
    required: [...outputNames(job)],
    additionalProperties: false,
  };
  return {
    name: 'complete',
    description: 'Finish the step with its outputs. Call it once, when the work is done.',
    parameters,
  };
}

/** `fail`: the agent gives up on the step, saying why. */
export const failTool: LlmToolSpec = {
  name: 'fail',
  description: 'Give up on the step when it cannot be done; explain why.',
  parameters: { type: 'object', properties: { error: { type: 'string', description: 'Why the step cannot be done' } }, required: ['error'] },
};

/** Names of required outputs missing from `complete`'s arguments (checked against the declared outputs or the schema's `required`). */
export function missingOutputs(job: StepJob, args: Readonly<Record<string, unknown>>): readonly string[] {
  const schemaRequired = job.structured_output?.required;
  const required = Array.isArray(schemaRequired) ? schemaRequired.filter((v): v is string => typeof v === 'string') : job.structured_output ? [] : outputNames(job);
  return required.filter((name) => args[name] === undefined || args[name] === null);
}
