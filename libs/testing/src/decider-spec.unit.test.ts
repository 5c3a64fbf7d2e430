import type { Decider } from '@cadre/eventstore';
import { ConflictError, NotFoundError } from '@cadre/proto';
import { deciderSpec } from './decider-spec';

/** A counter that may not go below zero; `take` answers what is left. */
type CounterEvent = { readonly type: 'added' | 'taken'; readonly data: { readonly n: number } };
type CounterCommand = { readonly kind: 'add' | 'take'; readonly n: number };

const counter: Decider<CounterCommand, number, CounterEvent, number> = {
  initialState: 0,
  decide(command, count) {
    if (command.kind === 'add') return { events: [{ type: 'added', data: { n: command.n } }], result: count + command.n };
    if (command.n > count) throw new ConflictError('not enough');
    if (command.n === 0) return { events: [], result: count };
    return { events: [{ type: 'taken', data: { n: command.n } }], result: count - command.n };
  },
  evolve: (count, event) => (event.type === 'added' ? count + event.data.n : count - event.data.n),
  fromEnvelope: () => undefined,
};

const added = (n: number): CounterEvent => ({ type: 'added', data: { n } });

describe('deciderSpec', () => {
  const spec = deciderSpec(counter);

  it('folds the given events and checks the decided events, state and result', () => {
    const outcome = spec.given([added(2), added(3)]).when({ kind: 'take', n: 4 })
      .then([{ type: 'taken', data: { n: 4 } }])
      .thenState(1)
      .thenResult(1);
    expect(outcome.events).toHaveLength(1);
    spec.given([added(1)]).when({ kind: 'take', n: 0 }).then([]).thenState(1);
  });

  it('builds a history from commands, and matches events partially', () => {
    const given = spec.givenCommands([{ kind: 'add', n: 5 }, { kind: 'take', n: 2 }]);
    expect(given.history.map((e) => e.type)).toEqual(['added', 'taken']);
    expect(given.state).toBe(3);
    given.when({ kind: 'add', n: 1 }).thenMatch([{ type: 'added' }]);
  });

  it('checks a refusal by class or code', () => {
    spec.when({ kind: 'take', n: 1 }).thenThrows(ConflictError);
    spec.when({ kind: 'take', n: 1 }).thenThrows('conflict');
  });

  it('fails when the decision differs from what is expected', () => {
    expect(() => spec.when({ kind: 'add', n: 1 }).then([added(2)])).toThrow();
    expect(() => spec.when({ kind: 'add', n: 1 }).thenState(2)).toThrow();
    expect(() => spec.when({ kind: 'add', n: 1 }).thenThrows(ConflictError)).toThrow(/decided 1 event/);
    expect(() => spec.when({ kind: 'take', n: 1 }).thenThrows(NotFoundError)).toThrow();
    expect(() => spec.when({ kind: 'take', n: 1 }).then([])).toThrow(/decide threw ConflictError/);
  });

  it('refuses to be awaited like a promise', () => {
    const when = spec.when({ kind: 'add', n: 1 }) as unknown as { then: (resolve: () => void) => unknown };
    expect(() => when.then(() => undefined)).toThrow(/not a promise/);
  });
});
