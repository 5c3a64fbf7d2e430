import type { CommandOutcome, Reaction } from '@cadre/eventstore';
import { runCancelSubject } from '@cadre/proto';
import type { RunsContext } from './context';
import type { RunRequest } from './run/decider';
import type { RunState } from './run/state';
import { enqueueQueuedStep } from './orchestration/job';
import { hasOwnPipeline } from './pipelines/spawn';
import { syncRunViews } from './view/sync';

/** The outcome of one command on a run, as its reactions see it. */
export type RunOutcome = CommandOutcome<RunState, boolean, RunRequest>;

const queuedAStep = (outcome: RunOutcome): boolean => outcome.appended.some((event) => event.type === 'step_queued');

/** Tells executors at once that a run was cancelled, so they abort the model call in flight. */
export function announceCancel(ctx: Pick<RunsContext, 'bus'>, runId: string): void {
  ctx.bus.ephemeral.publish(runCancelSubject(runId), new TextEncoder().encode(JSON.stringify({ run_id: runId })));
}

/**
 * What follows a command on a run once it committed, in this order (each repairs itself or is
 * repaired elsewhere, so none fails the reply):
 * 1. the run's pipeline is remembered: its own (the definition it was created with, never looked
 *    up again), or for an older run the id, so the next command reads it beside the events;
 * 2. the read models' write begins (the read models' projection, should the relayed events reach
 *    it meanwhile, waits for it — `executeRun` registered it before the append — and passes over
 *    what it wrote rather than write the same rows again; it writes them should this replica die
 *    first);
 * 3. a step it queued goes on the work queue now, beside that write, not after a trip through
 *    the relay and the dispatcher's consumer (which still covers a crash right here);
 * 4. the read models are written before the reply, so a query that follows sees the change —
 *    except for the executor's `started` report, which no query follows: its reply lets the model
 *    call go, and the step's time is what a run waits for (the write goes on beside the call; a
 *    step's tool calls are events of the agents' store, relayed apart from the run's, so the
 *    stream never promised them after `step_started` — their occurredAt is after it);
 * 5. a cancellation is announced to the executors.
 */
export function runReactions(ctx: RunsContext, runId: string, onWriting: (writing: Promise<void>) => void): ReadonlyArray<Reaction<RunState, boolean, RunRequest>> {
  let written: Promise<void> | undefined;
  return [
    ({ state, command }) => {
      if (!state.exists) return;
      // A create was decided with the pipeline the run now carries; later commands remember it
      // as they parse it (ownPipelineOf).
      if (!hasOwnPipeline(state)) ctx.runPipelines.set(runId, { id: state.pipelineId });
      else if (command.command.kind === 'create' && command.pipeline !== undefined) ctx.runPipelines.set(runId, { own: command.pipeline });
    },
    ({ appended, state, command }) => {
      if (appended.length === 0) return;
      written = syncRunViews(ctx.pool, ctx.schema, state, command.pipeline)
        .then(() => void ctx.syncedViews.set(runId, Math.max(ctx.syncedViews.get(runId) ?? 0, state.version)))
        .catch((err: unknown) => ctx.logger.warn({ err, runId }, 'run views not updated; the projection will'));
      // The projection waits for it (executeRun registered this command's write in writingViews).
      onWriting(written);
    },
    async (outcome) => {
      if (!queuedAStep(outcome)) return;
      await enqueueQueuedStep(ctx, outcome.state, outcome.command.pipeline)
        .catch((err: unknown) => ctx.logger.warn({ err, runId }, 'queued step not enqueued; the dispatcher will'));
    },
    async ({ command }) => {
      if (command.command.kind !== 'step_started') await written;
    },
    ({ appended, command }) => {
      if (appended.length > 0 && command.command.kind === 'cancel') announceCancel(ctx, runId);
    },
  ];
}
