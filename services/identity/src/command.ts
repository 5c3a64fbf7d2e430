import { handleCommand, type CommandOutcome, type Decider, type NewEventMeta, type Reaction } from '@cadre/eventstore';
import type { IdentityContext } from './context';
import type { IdentityEvent } from './events';
import type { IdentityView } from './view/view';

/** Where a command's events go: the stream, the subject scope (the user id) and their meta. */
export interface Target {
  readonly stream: string;
  readonly scope: string;
  /** Correlation id (the request id) and actor, stamped on every event. */
  readonly meta?: NewEventMeta;
}

/**
 * After the command: the stream as read and what was appended go into this replica's view, so
 * the writer reads its own writes without waiting for the bus (the view counts each version once).
 */
const applyToView = (view: IdentityView): Reaction<unknown, unknown> => (outcome) => {
  for (const envelope of outcome.history) view.apply(envelope);
  for (const envelope of outcome.appended) view.apply(envelope);
};

/**
 * Runs one command on one identity stream through handleCommand (read, fold, decide, append at
 * the version read, decide again after a lost race), then updates the view. `scope` is the
 * subject token of the events (the user id), which the gateway's stream filters use.
 */
export function execute<C, S, R>(
  ctx: Pick<IdentityContext, 'store' | 'view'>, target: Target, decider: Decider<C, S, IdentityEvent, R>, command: C,
): Promise<CommandOutcome<S, R>> {
  return handleCommand(ctx.store, decider, {
    stream: target.stream,
    command,
    subjectScope: target.scope,
    ...(target.meta !== undefined ? { meta: target.meta } : {}),
    reactions: [applyToView(ctx.view)],
  });
}
