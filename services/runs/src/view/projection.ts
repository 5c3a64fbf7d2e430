import { CompiledQuery } from 'kysely';
import type { ProjectionDefinition } from '@cadre/eventstore';
import type { EventEnvelope } from '@cadre/proto';
import { loadRun, pipelineOf } from '../command';
import type { RunsContext } from '../context';
import { runEventTypes } from '../run/events';
import { writeRunViews } from './sync';

const runIdOf = (event: EventEnvelope): string | undefined => (typeof event.data.run_id === 'string' ? event.data.run_id : undefined);

/**
 * The run, step and history read models as a projection of the run events on the bus. The
 * replica that appends a run's events writes its rows in that append (runViewsAlongside: they
 * commit together); the projection rebuilds the rows (a new read model, one made again) and
 * brings those of an older writer up to date. An event whose version this replica committed
 * (or is committing: the projection waits for that command, outside any transaction) is passed
 * over; any other brings the run's rows up to the run read from the store (upcast), unless they
 * are at that version already. That makes it order-free: the rows carry the run's version and
 * only a newer one replaces them.
 */
export function runViewsProjection(ctx: Pick<RunsContext, 'schema' | 'store' | 'pipelines' | 'runPipelines' | 'syncedViews' | 'writingViews'>): ProjectionDefinition {
  const runView = `"${ctx.schema}".run_view`;
  return {
    name: 'run_views',
    events: runEventTypes,
    orderFree: true,
    alreadyApplied: async (event) => {
      const runId = runIdOf(event);
      if (runId === undefined) return false;
      await ctx.writingViews.get(runId);
      return (ctx.syncedViews.get(runId) ?? 0) >= event.version;
    },
    apply: async (event, trx) => {
      const runId = runIdOf(event);
      if (runId === undefined) return;
      const seen = await trx.executeQuery<{ version: number }>(CompiledQuery.raw(`select version from ${runView} where run_id = $1`, [runId]));
      if ((seen.rows[0]?.version ?? 0) >= event.version) return;
      const state = await loadRun(ctx, runId);
      await writeRunViews(
        async (text, values) => (await trx.executeQuery<Record<string, unknown>>(CompiledQuery.raw(text, [...values]))).rows,
        ctx.schema, state, await pipelineOf(ctx, state),
      );
    },
  };
}
