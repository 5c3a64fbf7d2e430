/**
 * Pipeline definitions of Cadre: the format (zod schema and JSON Schema), loading and
 * validation of built-in, folder and API definitions, and the pure template and routing logic
 * the orchestrator runs them with.
 */
export {
  END,
  Pipeline,
  PipelineAgent,
  PipelineDefaults,
  PipelineStep,
  ResultAction,
  ResultRoutes,
  StepLoop,
  pipelineJsonSchema,
  type PipelineInput,
} from './schema';
export { formatProblem, type PipelineProblem, type PipelineWarning } from './problems';
export { validatePipeline, type ValidateOptions, type ValidatedPipeline } from './validate';
export { MAX_DEFINITION_BYTES, parsePipeline, parsePipelineObject, type LoadedPipeline, type ParseOptions, type PipelineFormat } from './parse';
export {
  BUILTIN_PIPELINES_DIR,
  builtinPipelines,
  loadPipelineDir,
  loadPipelineFile,
  loadPipelines,
  pipelinesConfigShape,
  type LoadOptions,
  type LoadPipelinesOptions,
  type MergedPipelineSet,
  type PipelineLoadError,
  type PipelineSet,
} from './load';
export {
  RUN_VARIABLES,
  parseVariable,
  renderTemplate,
  templateTags,
  type RenderResult,
  type RunOutputs,
  type TemplateContext,
  type VariableRef,
} from './template';
export { ANY_RESULT, normalizeResultValue } from './result-value';
export {
  afterLoop,
  afterLoopItem,
  firstStep,
  loopItems,
  loopStepOutputs,
  matchResult,
  nextAction,
  toLoopItems,
  type FailAction,
  type FlowAction,
  type LoopPosition,
  type NextAction,
  type NextActionOptions,
} from './routing';
export { effectiveStepSettings, type StepSettings } from './settings';
export { defaultNext, resultRoutes, unreachableSteps } from './graph';
