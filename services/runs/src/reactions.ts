import type { CommandOutcome, Reaction } from '@cadre/eventstore';
import { runCancelSubject } from '@cadre/proto';
import type { RunsContext } from './context';
import type { RunRequest } from './run/decider';
import type { RunState } from './run/state';
import { enqueueQueuedStep } from './orchestration/job';
import { hasOwnPipeline } from './pipelines/spawn';

/** The outcome of one command on a run, as its reactions see it. */
export type RunOutcome = CommandOutcome<RunState, boolean, RunRequest>;

const queuedAStep = (outcome: RunOutcome): boolean => outcome.appended.some((event) => event.type === 'step_queued');

/** Tells executors at once that a run was cancelled, so they abort the model call in flight. */
export function announceCancel(ctx: Pick<RunsContext, 'bus'>, runId: string): void {
  ctx.bus.ephemeral.publish(runCancelSubject(runId), new TextEncoder().encode(JSON.stringify({ run_id: runId })));
}

/**
 * What follows a command on a run once it committed (its read models committed with it: see
 * executeRun), in this order, none failing the reply:
 * 1. the run's pipeline is remembered: its own (the definition it was created with, never looked
 *    up again), or for an older run the id, so the next command reads it beside the events;
 * 2. the read models' projection hears that they hold this version already: should the relayed
 *    events reach it (it waits for the command — `executeRun` registered it before the append),
 *    it passes over them rather than read the run and find its rows current;
 * 3. a step it queued goes on the work queue now, not after a trip through the relay and the
 *    dispatcher's consumer (which still covers a crash right here);
 * 4. a cancellation is announced to the executors.
 */
export function runReactions(ctx: RunsContext, runId: string): ReadonlyArray<Reaction<RunState, boolean, RunRequest>> {
  return [
    ({ state, command }) => {
      if (!state.exists) return;
      // A create was decided with the pipeline the run now carries; later commands remember it
      // as they parse it (ownPipelineOf).
      if (!hasOwnPipeline(state)) ctx.runPipelines.set(runId, { id: state.pipelineId });
      else if (command.command.kind === 'create' && command.pipeline !== undefined) ctx.runPipelines.set(runId, { own: command.pipeline });
    },
    ({ appended, state }) => {
      if (appended.length === 0) return;
      ctx.syncedViews.set(runId, Math.max(ctx.syncedViews.get(runId) ?? 0, state.version));
    },
    async (outcome) => {
      if (!queuedAStep(outcome)) return;
      await enqueueQueuedStep(ctx, outcome.state, outcome.command.pipeline)
        .catch((err: unknown) => ctx.logger.warn({ err, runId }, 'queued step not enqueued; the dispatcher will'));
    },
    ({ appended, command }) => {
      if (appended.length > 0 && command.command.kind === 'cancel') announceCancel(ctx, runId);
    },
  ];
}
