import { userOfActor as userOf } from '@cadre/runtime';
import type { RunCommand } from './decide';
import type { RunState } from './state';

/** The owner of a run: the user who created it (none for runs the engine created). */
export function runOwner(state: RunState): string | undefined {
  return userOf(state.createdBy);
}

/** The owner of a run's next events: its creator, from the command when it is the create. */
export function ownerOfCommand(state: RunState, command: RunCommand): string | undefined {
  return command.kind === 'create' ? userOf(command.createdBy) : runOwner(state);
}
