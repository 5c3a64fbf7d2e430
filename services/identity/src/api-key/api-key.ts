import type { IdentityEvent } from '../events';

export type ApiKeyState =
  | { readonly status: 'none' }
  | { readonly status: 'active'; readonly userId: string; readonly expiresAt: Date | null }
  | { readonly status: 'revoked'; readonly userId: string };

export const initialApiKey: ApiKeyState = { status: 'none' };

export function evolveApiKey(state: ApiKeyState, event: IdentityEvent): ApiKeyState {
  switch (event.type) {
    case 'api_key_created':
      return { status: 'active', userId: event.data.user_id, expiresAt: event.data.expires_at ? new Date(event.data.expires_at) : null };
    case 'api_key_revoked':
      return { status: 'revoked', userId: event.data.user_id };
    default:
      return state;
  }
}
