import type { RequestHandler } from '@cadre/bus';
import { pipelineCreate, pipelineDelete, pipelineGet, pipelineList, pipelineUpdate } from '@cadre/proto';
import type { RunsContext } from '../context';
import { endpoint } from './endpoint';

/** Pipeline definitions: built-in, folder and API ones. */
export function pipelineHandlers(ctx: RunsContext): ReadonlyArray<readonly [string, RequestHandler]> {
  return [
    endpoint(pipelineList, async () => ({ pipelines: [...(await ctx.pipelines.list())] })),
    endpoint(pipelineGet, ({ pipeline_id }) => ctx.pipelines.view(pipeline_id)),
    endpoint(pipelineCreate, (body) => ctx.pipelines.save(body, { replace: false, now: ctx.clock() })),
    endpoint(pipelineUpdate, ({ pipeline_id, ...body }) => ctx.pipelines.save(body, { id: pipeline_id, replace: true, now: ctx.clock() })),
    endpoint(pipelineDelete, async ({ pipeline_id }) => ({ deleted: await ctx.pipelines.remove(pipeline_id) })),
  ];
}
