import type { Decider } from '@cadre/eventstore';
import { toIdentityEvent, type IdentityEvent } from '../events';
import { decideTwoFactor, type TwoFactorCommand } from './decide';
import { evolveTwoFactor, initialTwoFactor, type TwoFactorState } from './two-factor';

/** A user's 2FA: on once, off once. */
export const twoFactorDecider: Decider<TwoFactorCommand, TwoFactorState, IdentityEvent> = {
  initialState: initialTwoFactor, decide: decideTwoFactor, evolve: evolveTwoFactor, fromEnvelope: toIdentityEvent,
};
