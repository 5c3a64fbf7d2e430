import type { Decider } from '@cadre/eventstore';
import { toIdentityEvent, type IdentityEvent } from '../events';
import { decideSession, type SessionCommand } from './decide';
import { evolveSession, initialSession, type SessionState } from './session';

/** One sign-in's session: its chain of refresh tokens, and its end. */
export const sessionDecider: Decider<SessionCommand, SessionState, IdentityEvent> = {
  initialState: initialSession, decide: decideSession, evolve: evolveSession, fromEnvelope: toIdentityEvent,
};
