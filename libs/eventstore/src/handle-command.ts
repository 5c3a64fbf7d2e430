import type { EventEnvelope } from '@cadre/proto';
import { decided, foldEnvelopes, type Decider, type DomainEvent } from './decider';
import type { RetryOptions } from './retry';
import type { Alongside, AppendOptions, EventStore, NewEvent, NewEventMeta, StreamMark } from './types';

/** A stream's state folded up to a version: where the next command or read of it starts. */
export interface Snapshot<State> extends StreamMark {
  readonly state: State;
}

/** Snapshots of streams by id, kept by one process (any replica's own; never shared, never required). */
export interface Snapshots<State> {
  get(streamId: string): Snapshot<State> | undefined;
  /** Stores a snapshot unless a later one is stored already. */
  set(streamId: string, snapshot: Snapshot<State>): void;
  /** Forgets a stream's snapshot (one found ahead of the stream: a restored database). */
  delete(streamId: string): void;
}

/**
 * The snapshots of the last `capacity` streams used. For streams that live long and grow (a
 * project's index jobs, say): a command or a read then reads only the events after the snapshot.
 */
export function snapshotCache<State>(capacity: number): Snapshots<State> {
  const entries = new Map<string, Snapshot<State>>();
  return {
    delete(streamId) {
      entries.delete(streamId);
    },
    get(streamId) {
      const found = entries.get(streamId);
      if (found !== undefined) { entries.delete(streamId); entries.set(streamId, found); }
      return found;
    },
    set(streamId, snapshot) {
      const known = entries.get(streamId);
      // Another path may have stored a later one meanwhile: never go back.
      if (known !== undefined && known.version > snapshot.version) return;
      entries.delete(streamId);
      entries.set(streamId, snapshot);
      while (entries.size > capacity) entries.delete(entries.keys().next().value!);
    },
  };
}

/**
 * A stream's current state: its events folded, or — given snapshots — the snapshot's state with only
 * the events after it folded on; the snapshot then moves up to what was read.
 */
export async function readState<Command, State, Event extends DomainEvent, Result>(
  store: Pick<EventStore, 'readStreamRecords'>,
  decider: Decider<Command, State, Event, Result>,
  streamId: string,
  snapshots?: Snapshots<State>,
): Promise<{ readonly state: State; readonly version: number; readonly read: readonly EventEnvelope[] }> {
  const base = snapshots?.get(streamId);
  const records = await store.readStreamRecords(streamId, base !== undefined ? { fromVersion: base.version + 1 } : {});
  const read = records.map((record) => record.event);
  const state = foldEnvelopes(decider, base?.state ?? decider.initialState, read);
  const last = records.at(-1);
  if (snapshots !== undefined && last !== undefined) snapshots.set(streamId, { state, version: last.event.version, lastPosition: last.position });
  return { state, version: last?.event.version ?? base?.version ?? 0, read };
}

/** What one command did: its answer, what it appended, and the stream after it. */
export interface CommandOutcome<State, Result, Command = unknown> {
  /** The command decided (as `commandFor` made it on the try that stood). */
  readonly command: Command;
  /** What the decision answered (undefined for a decider that answers nothing). */
  readonly result: Result;
  /** The envelopes appended, in order; none when the decision chose no events. */
  readonly appended: readonly EventEnvelope[];
  /** The stream as read for the decision that stood (the last try, after any conflict). */
  readonly history: readonly EventEnvelope[];
  /** The state after the appended events. */
  readonly state: State;
  /** The stream's version after the command (0: the stream still does not exist). */
  readonly version: number;
  /**
   * Global position of the stream's last event after the command (0 for no event): a reply
   * carries it so that a query that follows can wait for it (read-your-writes).
   */
  readonly lastPosition: number;
}

/**
 * An effect of a command that must wait for its commit: putting a job on a queue, writing a
 * read model, warming a cache, telling another process. Reactions run in order, each awaited,
 * once the decision stood (after the commit when it appended; also when it appended nothing,
 * so check `appended` when the effect is only for a change). The events are committed by then:
 * a reaction whose failure is only its own (another replica or a follower of the bus repairs
 * it) catches and logs its error; one that throws fails the command's reply, not its events.
 */
export type Reaction<State, Result, Command = unknown> = (outcome: CommandOutcome<State, Result, Command>) => void | Promise<void>;

/** Where the command comes from: given, or made from the state read (e.g. a lookup the state names). */
type CommandSource<Command, State> =
  | { readonly command: Command; readonly commandFor?: never }
  | {
      /** Called on each try with the state read, so what it looks up follows that state. */
      readonly commandFor: (state: State) => Command | Promise<Command>;
      readonly command?: never;
    };

export type HandleCommandOptions<Command, State, Result> = CommandSource<Command, State> & Omit<AppendOptions, 'alongside'> & RetryOptions & {
  readonly stream: string;
  /** Stamped on every event appended (correlation id, actor, …). */
  readonly meta?: NewEventMeta;
  /**
   * Who owns what the stream is about (a user id), from the state read and the command decided:
   * stamped as `meta.owner` on every event appended, so the stream can show each event to its
   * owner without a lookup.
   */
  readonly owner?: (state: State, command: Command) => string | undefined;
  /** After-commit effects, run in order; see Reaction. */
  readonly reactions?: ReadonlyArray<Reaction<State, Result, Command>>;
  /**
   * Snapshots of the stream's state: the command reads only the events after the stream's snapshot
   * (and `history` holds only those), and leaves a new snapshot. For long, growing streams, and for
   * streams one replica commands over and over (a run's reports): see `speculate`.
   */
  readonly snapshots?: Snapshots<State>;
  /**
   * With a snapshot: decide on it without reading and append at its version (default true). While
   * this replica wrote the stream's last event, that is one round trip instead of two; when another
   * writer moved the stream on, the append finds it and the command reads and decides again (three).
   * A decision of no events or a refusal is never taken from the snapshot alone: those read first.
   */
  readonly speculate?: boolean;
  /**
   * Writes that commit with the decided events, in the append's statement (see Alongside): given
   * the state those events lead to, the command decided, the events as they will be appended and
   * the state they were decided on (so only what they changed need be written). A read model
   * written this way is current the moment the command commits, with no round trip of its own.
   */
  readonly alongside?: (after: State, command: Command, events: readonly EventEnvelope[], before: State) => Alongside | undefined;
};

function toNewEvent(event: DomainEvent, meta: NewEventMeta | undefined): NewEvent {
  return {
    type: event.type,
    data: event.data as Record<string, unknown>,
    ...(event.id !== undefined ? { id: event.id } : {}),
    ...(event.occurredAt !== undefined ? { occurredAt: event.occurredAt } : {}),
    ...(meta !== undefined ? { meta } : {}),
  };
}

/**
 * The one way a command changes a stream: read it (upcast) and fold it with the decider, decide,
 * and append what was decided at the version read (`no_stream` for a new stream). A conflict —
 * another writer appended in between — reads again and decides again on the fresh state; a
 * decision of no events appends nothing; a thrown error (a CadreError saying why the command is
 * refused) appends nothing and is rethrown. One read and at most one append per try.
 *
 * Nothing else happens inside: effects that need the commit are the `reactions`, run after it
 * with the outcome (or run by the caller on the returned outcome).
 */
export async function handleCommand<Command, State, Event extends DomainEvent, Result>(
  store: Pick<EventStore, 'appendWithRetry'>,
  decider: Decider<Command, State, Event, Result>,
  options: HandleCommandOptions<Command, State, Result>,
): Promise<CommandOutcome<State, Result, Command>> {
  const { stream, meta, subjectScope, now, attempts, backoffMs } = options;
  // The decision of the try that stood (a closure sets it, hence the assertion).
  let stood = undefined as
    | { readonly command: Command; readonly history: readonly EventEnvelope[]; readonly state: State; readonly result: Result; readonly whole: boolean }
    | undefined;
  const snapshot = options.snapshots?.get(stream);
  // The append asks on each try, right after that try's decision; the state it folds is the
  // outcome's when those events are the ones appended.
  let foldedAlongside: { readonly events: readonly EventEnvelope[]; readonly state: State } | undefined;
  const writesAlongside = (events: readonly EventEnvelope[]): Alongside | undefined => {
    if (stood === undefined) return undefined;
    foldedAlongside = { events, state: foldEnvelopes(decider, stood.state, events) };
    return options.alongside?.(foldedAlongside.state, stood.command, events, stood.state);
  };
  const appended = await store.appendWithRetry(stream, async (current) => {
    // The store reads the whole stream again when the snapshot turned out to be ahead of it.
    const state = foldEnvelopes(decider, current.after !== undefined && snapshot !== undefined ? snapshot.state : decider.initialState, current.events);
    const command = options.commandFor !== undefined ? await options.commandFor(state) : (options.command as Command);
    const { events, result } = decided(decider.decide(command, state));
    stood = { command, history: current.events, state, result, whole: current.after === undefined };
    const owner = options.owner?.(state, command);
    const stamped = owner === undefined ? meta : { ...meta, owner };
    return events.map((event) => toNewEvent(event, stamped));
  }, {
    ...(subjectScope !== undefined ? { subjectScope } : {}),
    ...(now !== undefined ? { now } : {}),
    ...(attempts !== undefined ? { attempts } : {}),
    ...(backoffMs !== undefined ? { backoffMs } : {}),
    ...(snapshot !== undefined ? { after: { version: snapshot.version, lastPosition: snapshot.lastPosition }, speculate: options.speculate ?? true } : {}),
    ...(options.alongside !== undefined ? { alongside: writesAlongside } : {}),
  });
  if (stood === undefined) throw new Error('handleCommand: the store never asked for a decision');
  const outcome: CommandOutcome<State, Result, Command> = {
    command: stood.command,
    result: stood.result,
    appended: appended.events,
    history: stood.history,
    state: foldedAlongside !== undefined && sameEvents(foldedAlongside.events, appended.events)
      ? foldedAlongside.state
      : foldEnvelopes(decider, stood.state, appended.events),
    version: appended.nextVersion,
    lastPosition: appended.lastPosition,
  };
  // A snapshot found ahead of the stream (the store read it whole) gives way to what was read.
  if (snapshot !== undefined && stood.whole) options.snapshots?.delete(stream);
  options.snapshots?.set(stream, { state: outcome.state, version: outcome.version, lastPosition: outcome.lastPosition });
  for (const react of options.reactions ?? []) await react(outcome);
  return outcome;
}

/** True when both lists hold the same events (by id), in the same order. */
function sameEvents(a: readonly EventEnvelope[], b: readonly EventEnvelope[]): boolean {
  return a.length === b.length && a.every((event, i) => event.id === b[i]!.id);
}
