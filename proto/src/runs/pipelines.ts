import { z } from 'zod';
import { defineCommand, defineQuery } from '../messages';

// Pipeline definitions (seed 002, "Pipelines", plus create/update/delete), served by the runs
// service. The definition's own format is validated by @cadre/pipelines in the service: proto
// sits below it, so here a definition is an open object.

/** Where a pipeline comes from; built-in and folder ones cannot be deleted through the API. */
export const PipelineOrigin = z.enum(['builtin', 'folder', 'api']);

/** A pipeline as the API shows it: the validated definition plus where it came from. */
export const PipelineView = z.looseObject({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  origin: PipelineOrigin,
  warnings: z.array(z.unknown()).default([]),
});
export type PipelineView = z.infer<typeof PipelineView>;

/**
 * A definition as JSON fields, or `{ "yaml": "…" }` (the gateway parses JSON bodies only).
 * Loose on purpose: the pipelines library rejects unknown fields and names them.
 */
export const PipelineBody = z.looseObject({
  // Within the default body limit (1 MiB) with the JSON around it.
  yaml: z.string().max(1_000_000).optional().describe('The whole definition as YAML text'),
});

const PipelineRef = z.object({ pipeline_id: z.string().min(1).max(100) });

export const pipelineList = defineQuery({
  domain: 'pipelines', name: 'list', description: 'List pipeline definitions',
  request: z.object({}), reply: z.object({ pipelines: z.array(PipelineView) }),
});

export const pipelineGet = defineQuery({
  domain: 'pipelines', name: 'get', description: 'Get a pipeline definition', request: PipelineRef, reply: PipelineView,
});

export const pipelineCreate = defineCommand({
  domain: 'pipelines', name: 'create', description: 'Add a pipeline (JSON fields or a yaml string)',
  request: PipelineBody, reply: PipelineView,
});

export const pipelineUpdate = defineCommand({
  domain: 'pipelines', name: 'update', description: 'Replace a pipeline (an API pipeline with a built-in id overrides it)',
  request: PipelineBody.extend(PipelineRef.shape), reply: PipelineView,
});

export const pipelineDelete = defineCommand({
  domain: 'pipelines', name: 'delete', description: 'Delete an API pipeline (built-in and folder ones: 409)',
  request: PipelineRef, reply: z.object({ deleted: z.boolean() }),
});
