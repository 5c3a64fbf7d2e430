import { parsePipelineObject, type Pipeline } from '@cadre/pipelines';

/** Three steps; `review` routes CHANGES_REQUESTED back to `implement` and APPROVED to the end. */
export const reviewPipeline: Pipeline = parsePipelineObject({
  id: 'review-flow',
  name: 'Review flow',
  defaults: { model: 'dry-run/echo', timeoutSeconds: 60, maxRetries: 2 },
  agents: [{ id: 'dev', name: 'Dev', persona: 'You build.' }, { id: 'rev', name: 'Reviewer', persona: 'You review.' }],
  steps: [
    { id: 'plan', agent: 'dev', input: 'Plan: {{task_description}}', outputs: ['plan'] },
    { id: 'implement', agent: 'dev', input: 'Do {{steps.plan.outputs.plan}}. Comments: {{steps.review.outputs.comments}} {{feedback}}', outputs: ['summary'] },
    {
      id: 'review', agent: 'rev', input: 'Review {{steps.implement.outputs.summary}}', outputs: ['verdict', 'comments'],
      onResult: { output: 'verdict', APPROVED: { goto: '$end' }, CHANGES_REQUESTED: { goto: 'implement' } },
    },
  ],
}).pipeline;

/** One step that times out after a second and is retried once. */
export const slowPipeline: Pipeline = parsePipelineObject({
  id: 'slow-flow',
  name: 'Slow flow',
  defaults: { model: 'dry-run/echo', timeoutSeconds: 1, maxRetries: 1 },
  agents: [{ id: 'dev', name: 'Dev', persona: 'You build.' }],
  steps: [{ id: 'only', agent: 'dev', input: 'Do {{task_description}}', outputs: ['result'] }],
}).pipeline;

/** A loop over the lines of a list, then a summary. */
export const loopPipeline: Pipeline = parsePipelineObject({
  id: 'loop-flow',
  name: 'Loop flow',
  defaults: { model: 'dry-run/echo' },
  agents: [{ id: 'dev', name: 'Dev', persona: 'You build.' }],
  steps: [
    { id: 'split', agent: 'dev', input: 'Split {{task_description}}', outputs: ['items'] },
    { id: 'each', agent: 'dev', input: 'Item {{loop.number}}/{{loop.count}}: {{loop.item}}', outputs: ['done'], loop: { over: '{{steps.split.outputs.items}}', onAllComplete: 'sum' } },
    { id: 'sum', agent: 'dev', input: 'All: {{steps.each.outputs.done}}', outputs: ['total'] },
  ],
}).pipeline;

/** The pipelines as a YAML-free definition list, for storing through the API in tests. */
export const testPipelines: readonly Pipeline[] = [reviewPipeline, slowPipeline, loopPipeline];
