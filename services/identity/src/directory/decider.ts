import type { Decider } from '@cadre/eventstore';
import { toIdentityEvent, type IdentityEvent } from '../events';
import { decideDirectory, type DirectoryCommand } from './decide';
import { evolveDirectory, initialDirectory, type DirectoryState } from './directory';

/** The user directory: e-mail uniqueness, one setup, and always an admin. */
export const directoryDecider: Decider<DirectoryCommand, DirectoryState, IdentityEvent> = {
  initialState: initialDirectory, decide: decideDirectory, evolve: evolveDirectory, fromEnvelope: toIdentityEvent,
};
