import { z } from 'zod';
import { pipelineCreate, pipelineDelete, pipelineGet, pipelineList, pipelineUpdate, PipelineBody } from './pipelines';
import { runCancel, runCreate, runGet, runHistory, runList, runRestart, stepGet, stepList, stepOutput } from './runs';
import { defineRoute, type RouteDefinition } from '../http/route';

// Routes of the runs service (seed 002: "Pipelines", "Runs", "Steps", "Run History").
// Path parameters are named like the request fields they fill (payload = {...params, ...query,
// ...body}); `{pipeline_id}` rather than `{id}` because a pipeline body has an `id` of its own.

const RunParam = z.object({ run_id: z.string().min(1).max(200) });
const StepParam = RunParam.extend({ step_id: z.string().min(1).max(200) });
const PipelineParam = z.object({ pipeline_id: z.string().min(1).max(100) });

export const pipelineRoutes: readonly RouteDefinition[] = [
  defineRoute({ method: 'get', path: '/v1/pipelines', operationId: 'listPipelines', summary: 'List pipeline definitions',
    tags: ['pipelines'], access: 'user', response: pipelineList.reply, successStatus: 200, message: pipelineList }),
  defineRoute({ method: 'get', path: '/v1/pipelines/{pipeline_id}', operationId: 'getPipeline', summary: 'Get a pipeline definition',
    tags: ['pipelines'], access: 'user', params: PipelineParam, response: pipelineGet.reply, successStatus: 200, message: pipelineGet }),
  defineRoute({ method: 'post', path: '/v1/pipelines', operationId: 'createPipeline', summary: 'Add a pipeline (JSON, or { "yaml": "…" })',
    tags: ['pipelines'], access: 'admin', body: PipelineBody, yamlField: 'yaml', response: pipelineCreate.reply, successStatus: 201, message: pipelineCreate }),
  defineRoute({ method: 'put', path: '/v1/pipelines/{pipeline_id}', operationId: 'updatePipeline', summary: 'Replace a pipeline',
    tags: ['pipelines'], access: 'admin', params: PipelineParam, body: PipelineBody, yamlField: 'yaml', response: pipelineUpdate.reply, successStatus: 200, message: pipelineUpdate }),
  defineRoute({ method: 'delete', path: '/v1/pipelines/{pipeline_id}', operationId: 'deletePipeline', summary: 'Delete an API pipeline',
    tags: ['pipelines'], access: 'admin', params: PipelineParam, response: pipelineDelete.reply, successStatus: 200, message: pipelineDelete }),
];

export const runRoutes: readonly RouteDefinition[] = [
  defineRoute({ method: 'post', path: '/v1/runs', operationId: 'createRun', summary: 'Create a run of a pipeline',
    // 404: no pipeline of that id.
    tags: ['runs'], access: 'user', body: runCreate.request, response: runCreate.reply, successStatus: 201, message: runCreate, errors: [404] }),
  defineRoute({ method: 'get', path: '/v1/runs', operationId: 'listRuns', summary: 'List runs (?pipeline_id, ?status, paginated)',
    tags: ['runs'], access: 'user', query: runList.request, response: runList.reply, successStatus: 200, message: runList }),
  defineRoute({ method: 'get', path: '/v1/runs/{run_id}', operationId: 'getRun', summary: 'Get a run with its steps',
    tags: ['runs'], access: 'user', params: RunParam, response: runGet.reply, successStatus: 200, message: runGet }),
  defineRoute({ method: 'post', path: '/v1/runs/{run_id}/cancel', operationId: 'cancelRun', summary: 'Cancel a run',
    tags: ['runs'], access: 'user', params: RunParam, body: runCancel.request.omit({ run_id: true }), response: runCancel.reply, successStatus: 200, message: runCancel }),
  defineRoute({ method: 'post', path: '/v1/runs/{run_id}/restart', operationId: 'restartRun', summary: 'Restart a failed or cancelled run',
    tags: ['runs'], access: 'user', params: RunParam, body: runRestart.request.omit({ run_id: true }), response: runRestart.reply, successStatus: 200, message: runRestart }),
  defineRoute({ method: 'get', path: '/v1/steps/{run_id}', operationId: 'listSteps', summary: 'List the steps of a run',
    tags: ['steps'], access: 'user', params: RunParam, response: stepList.reply, successStatus: 200, message: stepList }),
  defineRoute({ method: 'get', path: '/v1/steps/{run_id}/{step_id}', operationId: 'getStep', summary: 'Get a step of a run',
    tags: ['steps'], access: 'user', params: StepParam, response: stepGet.reply, successStatus: 200, message: stepGet }),
  defineRoute({ method: 'get', path: '/v1/steps/{run_id}/{step_id}/output', operationId: 'getStepOutput', summary: 'Get the outputs of a step',
    tags: ['steps'], access: 'user', params: StepParam, response: stepOutput.reply, successStatus: 200, message: stepOutput }),
  defineRoute({ method: 'get', path: '/v1/internal/run-history', operationId: 'getRunHistory', summary: 'Query execution history (admins and the engine)',
    tags: ['runs'], access: 'admin', query: runHistory.request, response: runHistory.reply, successStatus: 200, message: runHistory }),
];
