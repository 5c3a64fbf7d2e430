import type { UserRole } from '@cadre/proto';
import type { IdentityEvent } from '../events';

/** What the directory knows of a user to keep its invariants. */
export interface DirectoryUser {
  readonly email: string;
  readonly role: UserRole;
}

/** Every live user, and whether setup is done. */
export interface DirectoryState {
  readonly setupCompleted: boolean;
  readonly users: ReadonlyMap<string, DirectoryUser>;
}

export const initialDirectory: DirectoryState = { setupCompleted: false, users: new Map() };

export function evolveDirectory(state: DirectoryState, event: IdentityEvent): DirectoryState {
  switch (event.type) {
    case 'user_created': {
      const users = new Map(state.users);
      users.set(event.data.user_id, { email: event.data.email, role: event.data.role });
      return { ...state, users };
    }
    case 'user_updated': {
      const current = state.users.get(event.data.user_id);
      if (!current) return state;
      const users = new Map(state.users);
      users.set(event.data.user_id, { email: event.data.email ?? current.email, role: event.data.role ?? current.role });
      return { ...state, users };
    }
    case 'user_deleted': {
      const users = new Map(state.users);
      users.delete(event.data.user_id);
      return { ...state, users };
    }
    case 'setup_completed':
      return { ...state, setupCompleted: true };
    default:
      return state;
  }
}

/** The live user holding `email`, if any. */
export function userWithEmail(state: DirectoryState, email: string): string | undefined {
  for (const [id, user] of state.users) if (user.email === email) return id;
  return undefined;
}

export function adminCount(state: DirectoryState): number {
  let count = 0;
  for (const user of state.users.values()) if (user.role === 'admin') count++;
  return count;
}
