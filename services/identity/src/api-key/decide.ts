import { ConflictError, NotFoundError } from '@cadre/proto';
import { event, type IdentityEvent } from '../events';
import type { ApiKeyState } from './api-key';

export type ApiKeyCommand =
  | {
      readonly kind: 'create';
      readonly keyId: string;
      readonly userId: string;
      readonly name: string;
      readonly prefix: string;
      readonly expiresAt: Date | null;
      readonly eventId: string;
      readonly now: Date;
    }
  | {
      readonly kind: 'revoke';
      readonly keyId: string;
      /** Who revokes: the owner, or an admin. */
      readonly actor: { readonly userId: string | undefined; readonly admin: boolean };
      /** Set when the key goes with something else (a new password, signing out everywhere). */
      readonly reason?: 'password_changed' | 'signed_out_everywhere';
      readonly eventId: string;
      readonly now: Date;
    };

export function decideApiKey(command: ApiKeyCommand, state: ApiKeyState): readonly IdentityEvent[] {
  switch (command.kind) {
    case 'create':
      if (state.status !== 'none') throw new ConflictError('api key exists');
      return [event('api_key_created', command.eventId, command.now, {
        key_id: command.keyId, user_id: command.userId, name: command.name, prefix: command.prefix,
        expires_at: command.expiresAt ? command.expiresAt.toISOString() : null,
      })];
    case 'revoke': {
      // Someone else's key is "not found", so ids of other users' keys cannot be probed.
      const mine = state.status !== 'none' && (command.actor.admin || state.userId === command.actor.userId);
      if (!mine) throw new NotFoundError('no such api key');
      if (state.status === 'revoked') return [];
      return [event('api_key_revoked', command.eventId, command.now, {
        key_id: command.keyId, user_id: state.userId, ...(command.reason ? { reason: command.reason } : {}),
      })];
    }
  }
}
