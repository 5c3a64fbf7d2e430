import { foldEnvelopes, handleCommand, type CommandOutcome, type NewEventMeta } from '@cadre/eventstore';
import { NotFoundError } from '@cadre/proto';
import { requireAccess, userOfActor, type Call } from '@cadre/runtime';
import type { SwarmsContext } from './context';
import { swarmReactions } from './reactions';
import { swarmViewAlongside } from './view/write';
import type { SwarmCommand, SwarmRequest } from './swarm/decide';
import { swarmDecider } from './swarm/decider';
import { swarmStream } from './swarm/events';
import type { SwarmState } from './swarm/state';

/** The outcome of one command on a swarm. */
export type SwarmOutcome = CommandOutcome<SwarmState, boolean, SwarmRequest>;

/** The owner of a swarm: the user who launched it (none for the engine's). */
export function swarmOwner(state: Pick<SwarmState, 'createdBy'>): string | undefined {
  return userOfActor(state.createdBy);
}

/**
 * Reads a swarm's stream and folds it (detail queries read this, so they see every write). A
 * swarm this replica folded lately is read from where it left off: events never change, so only
 * the newer ones are read and folded onto the state kept.
 */
export async function loadSwarm(ctx: Pick<SwarmsContext, 'store'> & Partial<Pick<SwarmsContext, 'states'>>, swarmId: string): Promise<SwarmState> {
  const known = ctx.states?.get(swarmId);
  const from = known?.version ?? 0;
  const state = foldEnvelopes(swarmDecider, known ?? swarmDecider.initialState, await ctx.store.readStream(swarmStream(swarmId), { fromVersion: from + 1 }));
  if (state.exists) remember(ctx, state);
  return state;
}

/** Keeps a swarm's folded state for the next read, unless a newer one is kept already. */
export function remember(ctx: Partial<Pick<SwarmsContext, 'states'>>, state: SwarmState): void {
  if ((ctx.states?.get(state.swarmId)?.version ?? 0) < state.version) ctx.states?.set(state.swarmId, state);
}

const swarmNotFound = (swarmId: string) => new NotFoundError(`swarm '${swarmId}' not found`, { swarm_id: swarmId });

/** Like loadSwarm, but a missing swarm — or, for a `caller`, one that is not theirs — is a NotFoundError. */
export async function requireSwarm(ctx: Pick<SwarmsContext, 'store'>, swarmId: string, caller?: Call): Promise<SwarmState> {
  const state = await loadSwarm(ctx, swarmId);
  if (!state.exists) throw swarmNotFound(swarmId);
  if (caller !== undefined) requireAccess(caller, swarmOwner(state), () => swarmNotFound(swarmId));
  return state;
}

/**
 * Runs one command on one swarm through handleCommand: read, fold, decide, append at the version
 * read (another replica's append in between: read and decide again), then the reactions (spawn
 * the runs of started tasks, cancel runs, write the list row, set the wake-up timer).
 */
export async function executeSwarm(ctx: SwarmsContext, swarmId: string, command: SwarmCommand, meta?: NewEventMeta, caller?: Call): Promise<SwarmOutcome> {
  return handleCommand(ctx.store, swarmDecider, {
    stream: swarmStream(swarmId),
    subjectScope: swarmId,
    ...(meta !== undefined ? { meta } : {}),
    owner: (state, request) => (request.command.kind === 'create' ? userOfActor(request.command.createdBy) : swarmOwner(state)),
    commandFor: (state): SwarmRequest => {
      if (!state.exists && command.kind !== 'create') throw swarmNotFound(swarmId);
      if (caller !== undefined && command.kind !== 'create') requireAccess(caller, swarmOwner(state), () => swarmNotFound(swarmId));
      return {
        command, now: ctx.clock(), jitter: ctx.random(),
        backoff: { baseMs: ctx.config.SWARMS_RETRY_BASE_MS, maxMs: ctx.config.SWARMS_RETRY_MAX_MS },
      };
    },
    // Many runs of one swarm end at once: conflicts are expected, so try more often than the default.
    attempts: 50,
    // The list row commits with the events: `GET /v1/swarms` after the reply sees the change.
    alongside: (after) => swarmViewAlongside(ctx.schema, after),
    reactions: [({ state }) => remember(ctx, state), ...swarmReactions(ctx, swarmId, (id) => executeSwarm(ctx, id, { kind: 'tick' }))],
  });
}
