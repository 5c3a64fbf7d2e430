import type { EventEnvelope } from '@cadre/proto';

/**
 * An event as a decider sees it: its type and data, and optionally the id and time the decision
 * chose (when absent, the store gives the event a new UUIDv7 and the append's time).
 */
export interface DomainEvent {
  readonly type: string;
  readonly data: object;
  readonly id?: string;
  readonly occurredAt?: string;
}

/** The events a decision appends and what the command answers. */
export interface Decided<Event, Result> {
  readonly events: readonly Event[];
  readonly result: Result;
}

/**
 * What `decide` returns: the events and a result, or — for a decider that answers nothing
 * (`Result` is `undefined`) — just the events.
 */
export type Decision<Event, Result> = Decided<Event, Result> | ([Result] extends [undefined] ? readonly Event[] : never);

/**
 * One aggregate's rules: its state before any event, the decision a command makes on a state
 * (events to append, none, or a thrown CadreError), and how an event changes the state. `decide`
 * and `evolve` are pure: time, ids and whatever else must be looked up come in the command.
 */
export interface Decider<Command, State, Event extends DomainEvent = DomainEvent, Result = undefined> {
  readonly initialState: State;
  readonly decide: (command: Command, state: State) => Decision<Event, Result>;
  readonly evolve: (state: State, event: Event) => State;
  /**
   * The decider's event in a stored envelope (already upcast), or undefined to skip it: a type
   * this decider does not fold. Tests of `decide` and `evolve` alone never need it.
   */
  readonly fromEnvelope: (envelope: EventEnvelope) => Event | undefined;
}

/** A decision in its full form: events and result. */
export function decided<Event, Result>(decision: Decision<Event, Result>): Decided<Event, Result> {
  // A bare list is only allowed when Result is undefined, so the result is undefined here.
  return Array.isArray(decision) ? { events: decision, result: undefined as Result } : (decision as Decided<Event, Result>);
}

/** Folds events into a state with the decider's `evolve`. */
export function foldEvents<State, Event extends DomainEvent>(
  decider: Pick<Decider<unknown, State, Event, unknown>, 'evolve'>, state: State, events: readonly Event[],
): State {
  return events.reduce(decider.evolve, state);
}

/** Folds stored envelopes into a state, skipping those the decider does not know. */
export function foldEnvelopes<State, Event extends DomainEvent>(
  decider: Pick<Decider<unknown, State, Event, unknown>, 'evolve' | 'fromEnvelope'>, state: State, envelopes: readonly EventEnvelope[],
): State {
  let next = state;
  for (const envelope of envelopes) {
    const event = decider.fromEnvelope(envelope);
    if (event !== undefined) next = decider.evolve(next, event);
  }
  return next;
}
