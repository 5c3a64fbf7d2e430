import { decided, foldEvents, type Decider, type DomainEvent } from '@cadre/eventstore';

/** An error class (`ConflictError`) or a CadreError code (`'conflict'`). */
export type ExpectedError = (abstract new (...args: never[]) => Error) | string;

/** What a decision gave, for checks of one's own after the `then…` calls. */
export interface DecisionChecks<State, Event, Result> {
  readonly events: readonly Event[];
  /** The given state with the decided events folded in. */
  readonly state: State;
  readonly result: Result;
  /** The state after the decision equals `expected`. */
  thenState(expected: State): DecisionChecks<State, Event, Result>;
  /** The decision answered `expected`. */
  thenResult(expected: Result): DecisionChecks<State, Event, Result>;
}

/**
 * The checks of one `when`. `then` is a method here, so do not `await` or return this object
 * from a test: call one of the `then…` methods on it (what they return has no `then`).
 */
export interface WhenSpec<State, Event, Result> {
  /** The decision appended exactly these events (jest's `toEqual`: asymmetric matchers welcome). */
  then(expected: readonly Event[]): DecisionChecks<State, Event, Result>;
  /** The decision appended as many events as `expected`, each matching its object (`toMatchObject`). */
  thenMatch(expected: ReadonlyArray<Record<string, unknown>>): DecisionChecks<State, Event, Result>;
  /** The command was refused with this error class or CadreError code (and nothing was decided). */
  thenThrows(expected: ExpectedError): void;
  thenState(expected: State): DecisionChecks<State, Event, Result>;
  thenResult(expected: Result): DecisionChecks<State, Event, Result>;
}

/** A decider with a history; `when` decides one command on it. */
export interface DeciderSpec<Command, State, Event, Result> {
  /** The history so far plus `events`. */
  given(events: readonly Event[]): DeciderSpec<Command, State, Event, Result>;
  /** The history so far plus the events these commands decide, one after the other (each must succeed). */
  givenCommands(commands: readonly Command[]): DeciderSpec<Command, State, Event, Result>;
  /** The state the history folds to. */
  readonly state: State;
  /** The events of the history, in order. */
  readonly history: readonly Event[];
  when(command: Command): WhenSpec<State, Event, Result>;
}

type Outcome<Event, Result> =
  | { readonly ok: true; readonly events: readonly Event[]; readonly result: Result }
  | { readonly ok: false; readonly error: unknown };

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function checks<State, Event extends DomainEvent, Result>(
  decider: Pick<Decider<unknown, State, Event, unknown>, 'evolve'>, given: State, outcome: Outcome<Event, Result>,
): DecisionChecks<State, Event, Result> {
  if (!outcome.ok) throw new Error(`expected a decision, but decide threw ${describeError(outcome.error)}`, { cause: outcome.error });
  const state = foldEvents(decider, given, outcome.events);
  const self: DecisionChecks<State, Event, Result> = {
    events: outcome.events,
    state,
    result: outcome.result,
    thenState(expected) {
      expect(state).toEqual(expected);
      return self;
    },
    thenResult(expected) {
      expect(outcome.result).toEqual(expected);
      return self;
    },
  };
  return self;
}

function spec<Command, State, Event extends DomainEvent, Result>(
  decider: Decider<Command, State, Event, Result>, history: readonly Event[],
): DeciderSpec<Command, State, Event, Result> {
  const state = foldEvents(decider, decider.initialState, history);
  return {
    state,
    history,
    given: (events) => spec(decider, [...history, ...events]),
    givenCommands(commands) {
      let current = state;
      const events = [...history];
      for (const command of commands) {
        const decision = decided(decider.decide(command, current));
        current = foldEvents(decider, current, decision.events);
        events.push(...decision.events);
      }
      return spec(decider, events);
    },
    when(command) {
      let outcome: Outcome<Event, Result>;
      try {
        outcome = { ok: true, ...decided(decider.decide(command, state)) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      return {
        then(expected) {
          if (typeof expected === 'function') {
            throw new TypeError('a decider spec is not a promise: call .then(events) on it, never await it or return it from a test');
          }
          const result = checks(decider, state, outcome);
          expect(result.events).toEqual(expected);
          return result;
        },
        thenMatch(expected) {
          const result = checks(decider, state, outcome);
          expect(result.events).toMatchObject(expected);
          return result;
        },
        thenThrows(expected) {
          if (outcome.ok) throw new Error(`expected decide to throw ${typeof expected === 'string' ? `code ${expected}` : expected.name}, but it decided ${outcome.events.length} event(s)`);
          if (typeof expected === 'string') expect(outcome.error).toMatchObject({ code: expected });
          else expect(outcome.error).toBeInstanceOf(expected);
        },
        thenState: (expected) => checks(decider, state, outcome).thenState(expected),
        thenResult: (expected) => checks(decider, state, outcome).thenResult(expected),
      };
    },
  };
}

/**
 * Given/when/then for a decider's unit tests, with no store:
 * `deciderSpec(decider).given(events).when(command).then(expectedEvents)`, or `.thenThrows(ConflictError)`,
 * `.thenState(state)`, `.thenResult(answer)`. The history is folded with the decider's `evolve`
 * and the command decided with its `decide`, exactly as `handleCommand` does on a stream.
 */
export function deciderSpec<Command, State, Event extends DomainEvent, Result>(
  decider: Decider<Command, State, Event, Result>,
): DeciderSpec<Command, State, Event, Result> {
  return spec(decider, []);
}
