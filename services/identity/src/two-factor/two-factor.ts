import type { IdentityEvent } from '../events';

/** 2FA of one user: on (with the event its secret and recovery codes are keyed by) or off. */
export type TwoFactorState =
  | { readonly status: 'off' }
  | { readonly status: 'on'; readonly eventId: string };

export const initialTwoFactor: TwoFactorState = { status: 'off' };

export function evolveTwoFactor(state: TwoFactorState, event: IdentityEvent): TwoFactorState {
  switch (event.type) {
    case 'two_factor_enabled':
      return { status: 'on', eventId: event.id };
    case 'two_factor_disabled':
      return { status: 'off' };
    default:
      return state;
  }
}
