import { withConcurrencyRetry, type NewEventMeta } from '@cadre/eventstore';
import { toIdentityEvent, type IdentityEvent } from './events';
import type { IdentityContext } from './context';

/** An aggregate: its state before any event and how an event changes it. */
export interface Aggregate<S> {
  readonly initial: S;
  readonly evolve: (state: S, event: IdentityEvent) => S;
}

/** What a decision produced: the events to append and what to answer. */
export interface Decision<R> {
  readonly events: readonly IdentityEvent[];
  readonly result: R;
}

/** Where a command's events go: the stream, the subject scope (the user id) and their meta. */
export interface Target {
  readonly stream: string;
  readonly scope: string;
  /** Correlation id (the request id) and actor, stamped on every event. */
  readonly meta?: NewEventMeta;
}

/**
 * Runs one command on one stream: read, fold, decide, append with the version read. A lost
 * race re-reads and decides again; the events go into this replica's view at once, so the
 * writer reads its own writes without waiting for the bus. `scope` is the subject token of
 * the events (the user id), which the gateway's stream filters use.
 */
export async function execute<S, R>(
  ctx: Pick<IdentityContext, 'store' | 'view'>,
  target: Target,
  aggregate: Aggregate<S>,
  decide: (state: S) => Decision<R> | Promise<Decision<R>>,
): Promise<R> {
  const { stream, scope, meta } = target;
  return withConcurrencyRetry(async () => {
    const history = await ctx.store.readStream(stream);
    let state = aggregate.initial;
    for (const envelope of history) {
      const event = toIdentityEvent(envelope);
      if (event) state = aggregate.evolve(state, event);
    }
    const { events, result } = await decide(state);
    const version = history.at(-1)?.version ?? 0;
    if (events.length === 0) {
      for (const envelope of history) ctx.view.apply(envelope);
      return result;
    }
    const stamped = meta ? events.map((event) => ({ ...event, meta })) : events;
    const appended = await ctx.store.append(stream, version === 0 ? 'no_stream' : version, stamped, { subjectScope: scope });
    for (const envelope of [...history, ...appended.events]) ctx.view.apply(envelope);
    return result;
  });
}
