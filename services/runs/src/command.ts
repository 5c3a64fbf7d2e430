import { withConcurrencyRetry, type NewEventMeta } from '@cadre/eventstore';
import type { Pipeline } from '@cadre/pipelines';
import { NotFoundError, runCancelSubject } from '@cadre/proto';
import type { RunsContext } from './context';
import { decideRun, type RunCommand } from './run/decide';
import { runStream, toRunEvent, type TimedRunEvent } from './run/events';
import { evolve, foldRun, type RunState } from './run/state';
import { enqueueQueuedStep } from './orchestration/job';
import { syncRunViews } from './view/sync';

/** A run's state after a command, with its pipeline and whether a report was taken. */
export interface Outcome {
  readonly state: RunState;
  readonly pipeline: Pipeline | undefined;
  readonly accepted: boolean;
}

/** Reads a run's stream and folds it (the detail endpoints read this, so they see every write). */
export async function loadRun(ctx: Pick<RunsContext, 'store'>, runId: string): Promise<RunState> {
  const envelopes = await ctx.store.readStream(runStream(runId));
  return foldRun(envelopes.map(toRunEvent).filter((e): e is TimedRunEvent => e !== undefined));
}

/** Like loadRun, but a run that does not exist is a NotFoundError. */
export async function requireRun(ctx: Pick<RunsContext, 'store'>, runId: string): Promise<RunState> {
  const state = await loadRun(ctx, runId);
  if (!state.exists) throw new NotFoundError(`run '${runId}' not found`, { run_id: runId });
  return state;
}

/**
 * Runs one command on one run: read, fold, decide, append at the version read (a lost race
 * with another replica re-reads and decides again). The read models are updated before the
 * reply, so a query that follows sees the change; the bus consumer repeats that (no-op by
 * version) should this replica die in between.
 */
export async function executeRun(ctx: RunsContext, runId: string, command: RunCommand, meta?: NewEventMeta): Promise<Outcome> {
  const outcome = await withConcurrencyRetry(async () => {
    // The pipeline of a known run is read beside its events rather than after them (one round trip less).
    const known = command.kind === 'create' ? command.pipelineId : ctx.runPipelines.get(runId);
    const [state, early] = await Promise.all([loadRun(ctx, runId), known === undefined ? undefined : ctx.pipelines.get(known)]);
    if (!state.exists && command.kind !== 'create') throw new NotFoundError(`run '${runId}' not found`, { run_id: runId });
    const pipelineId = command.kind === 'create' ? command.pipelineId : state.pipelineId;
    if (state.exists) ctx.runPipelines.set(runId, state.pipelineId);
    const pipeline = pipelineId === known ? early : await ctx.pipelines.get(pipelineId);
    const now = ctx.clock();
    const decision = decideRun(state, command, pipeline, now);
    if (decision.events.length === 0) return { state, pipeline, accepted: decision.accepted, appended: false, queued: false };
    const appended = await ctx.store.append(
      runStream(runId),
      state.version === 0 ? 'no_stream' : state.version,
      decision.events.map((event) => ({ type: event.type, data: event.data, ...(meta !== undefined ? { meta } : {}) })),
      { subjectScope: runId, now },
    );
    const next = appended.events.map(toRunEvent).reduce<RunState>((s, e) => (e === undefined ? s : evolve(s, e)), state);
    return { state: next, pipeline, accepted: decision.accepted, appended: true, queued: decision.events.some((e) => e.type === 'step_queued') };
  });
  if (outcome.appended) {
    // A step this command queued goes on the work queue now, not after a trip through the
    // relay and the dispatcher's consumer (which still covers a crash right here).
    if (outcome.queued) {
      await enqueueQueuedStep(ctx, outcome.state, outcome.pipeline)
        .catch((err: unknown) => ctx.logger.warn({ err, runId }, 'queued step not enqueued; the dispatcher will'));
    }
    await syncRunViews(ctx.pool, ctx.schema, outcome.state, outcome.pipeline)
      .then(() => ctx.syncedViews.set(runId, Math.max(ctx.syncedViews.get(runId) ?? 0, outcome.state.version)))
      .catch((err: unknown) => ctx.logger.warn({ err, runId }, 'run views not updated; the bus consumer will'));
    if (command.kind === 'cancel') announceCancel(ctx, runId);
  }
  return { state: outcome.state, pipeline: outcome.pipeline, accepted: outcome.accepted };
}

/** Tells executors at once that a run was cancelled, so they abort the model call in flight. */
export function announceCancel(ctx: Pick<RunsContext, 'bus'>, runId: string): void {
  ctx.bus.ephemeral.publish(runCancelSubject(runId), new TextEncoder().encode(JSON.stringify({ run_id: runId })));
}
