import { foldEnvelopes, handleCommand, type NewEventMeta } from '@cadre/eventstore';
import type { Pipeline } from '@cadre/pipelines';
import { NotFoundError } from '@cadre/proto';
import { requireAccess, type Call } from '@cadre/runtime';
import type { RunsContext } from './context';
import type { RunCommand } from './run/decide';
import { runDecider, type RunRequest } from './run/decider';
import { runStream } from './run/events';
import { ownerOfCommand, runOwner } from './run/owner';
import type { RunState } from './run/state';
import { runReactions } from './reactions';
import { runViewsAlongside } from './view/sync';
import { SPAWN_PIPELINE_ID, hasOwnPipeline, ownPipeline, spawnPipeline } from './pipelines/spawn';

/**
 * The pipeline a run carries (the definition it was created with, or a spawned run's), parsed
 * once per replica and remembered: it never changes after `run_created`.
 */
export function ownPipelineOf(ctx: Pick<RunsContext, 'runPipelines'>, state: RunState): Pipeline | undefined {
  if (!hasOwnPipeline(state)) return undefined;
  const known = ctx.runPipelines.get(state.runId);
  if (known !== undefined && 'own' in known) return known.own;
  const own = ownPipeline(state);
  if (own !== undefined) ctx.runPipelines.set(state.runId, { own });
  return own;
}

/** The pipeline a run follows: its own, or (a run created before runs carried theirs) the registry's. */
export async function pipelineOf(ctx: Pick<RunsContext, 'pipelines' | 'runPipelines'>, state: RunState): Promise<Pipeline | undefined> {
  return ownPipelineOf(ctx, state) ?? ctx.pipelines.get(state.pipelineId);
}

/** A run's state after a command, with its pipeline and whether a report was taken. */
export interface Outcome {
  readonly state: RunState;
  readonly pipeline: Pipeline | undefined;
  readonly accepted: boolean;
}

/** Reads a run's stream and folds it (the detail endpoints read this, so they see every write). */
export async function loadRun(ctx: Pick<RunsContext, 'store'>, runId: string): Promise<RunState> {
  return foldEnvelopes(runDecider, runDecider.initialState, await ctx.store.readStream(runStream(runId)));
}

const runNotFound = (runId: string) => new NotFoundError(`run '${runId}' not found`, { run_id: runId });

/**
 * Like loadRun, but a run that does not exist is a NotFoundError — and so, for a `caller`
 * given, is a run that is neither theirs nor theirs to see as an admin.
 */
export async function requireRun(ctx: Pick<RunsContext, 'store'>, runId: string, caller?: Call): Promise<RunState> {
  const state = await loadRun(ctx, runId);
  if (!state.exists) throw runNotFound(runId);
  if (caller !== undefined) requireAccess(caller, runOwner(state), () => runNotFound(runId));
  return state;
}

/**
 * Runs one command on one run through handleCommand: read, fold, decide, append at the version
 * read (a lost race with another replica re-reads and decides again), with the run's read
 * models written in the same statement, then the after-commit reactions (runReactions: enqueue a
 * queued step, …). On a live run this replica commanded last, it reads nothing: it decides on the
 * state it kept (`runSnapshots`) and appends at that version, reading only when the append finds
 * another writer was there first.
 *
 * A run carries its pipeline (the definition it was created with): no lookup. The pipeline of a
 * create, or of an older run without one that this replica knows, is fetched beside the events
 * rather than after them: one round trip less on the step hand-off.
 */
export async function executeRun(ctx: RunsContext, runId: string, command: RunCommand, meta?: NewEventMeta, caller?: Call): Promise<Outcome> {
  const spawned = command.kind === 'create' && command.spawn !== undefined;
  const remembered = command.kind === 'create' ? undefined : ctx.runPipelines.get(runId);
  const known = spawned ? undefined : command.kind === 'create' ? command.pipelineId : remembered !== undefined && 'id' in remembered ? remembered.id : undefined;
  const early = known === undefined || known === SPAWN_PIPELINE_ID ? undefined : ctx.pipelines.get(known);
  // Awaited below when the run turns out to use it; never left as an unhandled rejection.
  early?.catch(() => undefined);
  // Until this command ends, the read models' projection waits before it judges an event of this
  // run: the relay may hand it the events this command commits before its reactions have noted
  // (syncedViews) that the rows committed with them, and it would read the run to find them current.
  let settle!: () => void;
  const mine = new Promise<void>((resolve) => { settle = resolve; });
  const previous = ctx.writingViews.get(runId);
  const writing = previous === undefined ? mine : Promise.all([previous, mine]).then(() => undefined);
  ctx.writingViews.set(runId, writing);
  void writing.then(() => {
    if (ctx.writingViews.get(runId) === writing) ctx.writingViews.delete(runId);
  });
  try {
    return await executeRunCommand(ctx, runId, command, known, early, meta, caller);
  } finally {
    settle();
  }
}

async function executeRunCommand(
  ctx: RunsContext, runId: string, command: RunCommand, known: string | undefined, early: Promise<Pipeline | undefined> | undefined,
  meta?: NewEventMeta, caller?: Call,
): Promise<Outcome> {
  const stream = runStream(runId);
  // A run id this service has just made (a create, not a spawn, which names its own) has no stream yet.
  // Whether this replica kept the run's state (a create's is not: it says nothing of other replicas).
  const kept = ctx.runSnapshots.get(stream) !== undefined;
  if (command.kind === 'create' && command.spawn === undefined) ctx.runSnapshots.fresh(stream);
  const outcome = await handleCommand(ctx.store, runDecider, {
    stream,
    snapshots: ctx.runSnapshots,
    speculate: ctx.runSnapshots.speculating(),
    subjectScope: runId,
    ...(meta !== undefined ? { meta } : {}),
    // Every event of a run carries its creator as owner: the stream shows it to them and admins.
    owner: (state, request) => ownerOfCommand(state, request.command),
    commandFor: async (state): Promise<RunRequest> => {
      if (!state.exists && command.kind !== 'create') throw new NotFoundError(`run '${runId}' not found`, { run_id: runId });
      // A caller who may not act on the run hears what they would of a run that does not exist.
      if (caller !== undefined && command.kind !== 'create') requireAccess(caller, runOwner(state), () => runNotFound(runId));
      // A run's own pipeline (a spawned run's, or the definition it was created with) is never looked up.
      const own = command.kind === 'create' ? (command.spawn === undefined ? undefined : spawnPipeline(command.spawn)) : ownPipelineOf(ctx, state);
      if (own !== undefined) return { command, pipeline: own, now: ctx.clock() };
      const pipelineId = command.kind === 'create' ? command.pipelineId : state.pipelineId;
      const pipeline = pipelineId === known ? await early : await ctx.pipelines.get(pipelineId);
      return { command, pipeline, now: ctx.clock() };
    },
    // The read models commit with the events: a query after the reply sees the change, and no round trip is spent on them.
    alongside: (after, request, _events, before) => runViewsAlongside(ctx.schema, after, request.pipeline, before),
    reactions: runReactions(ctx, runId),
  });
  // What was read after the kept state (nothing when the speculation stood) says whether it was current.
  if (kept) ctx.runSnapshots.observe(outcome.history.length === 0);
  return { state: outcome.state, pipeline: outcome.command.pipeline, accepted: outcome.result };
}
