import type { Aggregate } from '../command';
import { evolveTwoFactor, initialTwoFactor, type TwoFactorState } from './two-factor';

export const twoFactorAggregate: Aggregate<TwoFactorState> = { initial: initialTwoFactor, evolve: evolveTwoFactor };
