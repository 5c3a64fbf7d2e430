import { ConflictError } from '@cadre/proto';
import { event, type IdentityEvent } from '../events';
import type { TwoFactorState } from './two-factor';

export type TwoFactorCommand =
  | { readonly kind: 'enable'; readonly userId: string; readonly eventId: string; readonly now: Date }
  | { readonly kind: 'disable'; readonly userId: string; readonly eventId: string; readonly now: Date };

export function decideTwoFactor(command: TwoFactorCommand, state: TwoFactorState): readonly IdentityEvent[] {
  switch (command.kind) {
    case 'enable':
      if (state.status === 'on') throw new ConflictError('2FA is already on');
      return [event('two_factor_enabled', command.eventId, command.now, { user_id: command.userId })];
    case 'disable':
      if (state.status === 'off') throw new ConflictError('2FA is not on');
      return [event('two_factor_disabled', command.eventId, command.now, { user_id: command.userId })];
  }
}
