import { z } from 'zod';
import { toJsonSchema } from '@cadre/proto';
import { checkJsonSchema } from './json-schema-check';

/** The target that ends the run successfully, usable wherever a next step is named. */
export const END = '$end';

const SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;
// Step ids and output names appear in `{{steps.<id>.outputs.<name>}}`, so no dots or spaces.
const STEP_ID = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const OUTPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MODEL = /^[a-z0-9][a-z0-9_.-]*\/\S+$/;
// Generous, but bounded: a template is rendered per step and must not be a memory weapon.
const MAX_TEMPLATE = 100_000;

const Slug = z.string().regex(SLUG, 'use lower-case letters, digits, "-" or "_" (at most 64)');
const StepId = z.string().regex(STEP_ID, 'use letters, digits, "-" or "_", starting with a letter (at most 64)');
const StepTarget = z.union([z.literal(END), StepId]).describe(`A step id, or "${END}" to finish the run`);
const OutputName = z.string().regex(OUTPUT_NAME, 'use letters, digits or "_", not starting with a digit');
const Model = z.string().max(200).regex(MODEL, 'expected "provider/model", e.g. "openai/gpt-4o" or "dry-run/echo"');
const Template = z.string().max(MAX_TEMPLATE);
const Message = z.string().min(1).max(MAX_TEMPLATE);

const TimeoutSeconds = z.number().int().min(1).max(86_400);
const Retries = z.number().int().min(0).max(20);
const Turns = z.number().int().min(1).max(1_000);
const Temperature = z.number().min(0).max(2);
const MaxTokens = z.number().int().min(1).max(1_000_000);
const Visits = z.number().int().min(1).max(1_000);

/** Settings every step inherits unless it overrides them. */
export const PipelineDefaults = z.strictObject({
  model: Model.describe('Default model as provider/model'),
  timeoutSeconds: TimeoutSeconds.default(900).describe('Wall-clock limit of one step attempt'),
  maxRetries: Retries.default(2).describe('Retries of a failed step (and onResult retries)'),
  maxTurns: Turns.default(40).describe('Model turns per step attempt'),
  temperature: Temperature.default(0.2),
  maxTokens: MaxTokens.optional().describe('Output token limit per model call'),
  maxVisits: Visits.default(10).describe('How often onResult may route into the same step in one run'),
});
export type PipelineDefaults = z.infer<typeof PipelineDefaults>;

/** An agent declared by the pipeline itself. */
export const PipelineAgent = z.strictObject({
  id: Slug,
  name: z.string().min(1).max(200),
  persona: z.string().min(1).max(MAX_TEMPLATE).describe('System prompt; used as written (not a template)'),
  model: Model.optional(),
  tools: z.array(z.string().min(1).max(128)).max(200).optional().describe('Tool names the agent may call'),
});
export type PipelineAgent = z.infer<typeof PipelineAgent>;

/** What a step's result value leads to; see `resultActionKind` for the allowed combinations. */
export const ResultAction = z
  .strictObject({
    goto: StepTarget.optional(),
    retry: z.literal(true).optional(),
    feedback: Template.optional().describe('Retry feedback template; defaults to a summary of the outputs'),
    notify: Message.optional().describe('Message template for the humans watching the run'),
    fail: Message.optional().describe('Fails the run with this message template'),
  })
  .superRefine((action, ctx) => {
    const kinds = [action.goto !== undefined, action.retry === true, action.fail !== undefined].filter(Boolean).length;
    if (kinds > 1) ctx.addIssue({ code: 'custom', message: 'use one of goto, retry or fail' });
    if (kinds === 0 && action.notify === undefined) ctx.addIssue({ code: 'custom', message: 'expected goto, retry, notify or fail' });
    if (action.notify !== undefined && (action.retry === true || action.fail !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'notify can be combined with goto only' });
    }
    if (action.feedback !== undefined && action.retry !== true) {
      ctx.addIssue({ code: 'custom', message: 'feedback belongs to a retry', path: ['feedback'] });
    }
  });
export type ResultAction = z.infer<typeof ResultAction>;

/**
 * Routes on one output's value: keys are values (matched ignoring case, surrounding punctuation
 * and space/underscore differences), `*` matches any other value, and `output` names the output
 * (needed only when the step declares several).
 */
export const ResultRoutes = z.object({ output: OutputName.optional() }).catchall(ResultAction);
export type ResultRoutes = z.infer<typeof ResultRoutes>;

/** Runs a step once per item of a list produced by an earlier step. */
export const StepLoop = z.strictObject({
  over: z.string().min(1).max(300).describe('"{{steps.<id>.outputs.<name>}}" (or the same without braces)'),
  onEachComplete: StepId.optional().describe('Step run after each item; it then continues the loop'),
  onAllComplete: StepTarget.optional().describe('Where to go after the last item'),
});
export type StepLoop = z.infer<typeof StepLoop>;

/** One step of a pipeline. */
export const PipelineStep = z.strictObject({
  id: StepId,
  name: z.string().min(1).max(200).optional(),
  description: z.string().max(2_000).optional(),
  agent: Slug.describe('A pipeline agent id or an agent known to Cadre'),
  input: Template.describe('Prompt template of the step'),
  outputs: z.array(OutputName).max(50).default([]).describe('Names of the outputs the step must produce'),
  onComplete: StepTarget.optional().describe('Next step; defaults to the next one listed, or the end'),
  onResult: ResultRoutes.optional(),
  loop: StepLoop.optional(),
  model: Model.optional(),
  maxRetries: Retries.optional(),
  timeoutSeconds: TimeoutSeconds.optional(),
  maxTurns: Turns.optional(),
  temperature: Temperature.optional(),
  maxTokens: MaxTokens.optional(),
  maxVisits: Visits.optional(),
  structuredOutput: z
    .record(z.string(), z.unknown())
    .superRefine(checkJsonSchema)
    .optional()
    .describe('JSON Schema (type object) the outputs must satisfy'),
});
export type PipelineStep = z.infer<typeof PipelineStep>;

/** A pipeline definition as stored in `pipelines/*.yml` or sent to `POST /v1/pipelines`. */
export const Pipeline = z.strictObject({
  id: Slug,
  name: z.string().min(1).max(200),
  description: z.string().max(5_000).default(''),
  // YAML reads `version: 1.0` as a number; keep it a string so it round-trips unchanged.
  version: z.union([z.string().min(1).max(50), z.number()]).transform(String).optional(),
  defaults: PipelineDefaults,
  agents: z.array(PipelineAgent).max(100).default([]),
  steps: z.array(PipelineStep).min(1).max(200),
});
export type Pipeline = z.infer<typeof Pipeline>;
/** The pipeline as written, before defaults are filled in. */
export type PipelineInput = z.input<typeof Pipeline>;

/** JSON Schema (draft 2020-12) of the file format, for docs and editors. */
export function pipelineJsonSchema(): Record<string, unknown> {
  return toJsonSchema(Pipeline, 'input');
}
