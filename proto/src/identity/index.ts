import type { MessageDefinition } from '../messages';
import { apiKeyCreate, apiKeyList, apiKeyRevoke } from './api-keys';
import { authStatus, login, loginTwoFactor, logout, logoutEverywhere, me, refresh, setup } from './auth';
import { authenticate } from './principal';
import { twoFactorDisable, twoFactorEnable, twoFactorVerify } from './two-factor';
import { userCreate, userDelete, userGet, userList, userUpdate } from './users';

export * from './principal';
export * from './headers';
// Only the identity-specific shapes: generic helpers (Email, Timestamp, …) stay internal.
export { Role as UserRole, UserView, TokenPair, PendingTwoFactor } from './schemas';
export * from './auth';
export * from './two-factor';
export * from './api-keys';
export * from './users';
export * from './events';
export * from './routes';

/** Every command and query the identity service answers (for AsyncAPI and the service's handler table). */
export const identityMessages: readonly MessageDefinition[] = [
  authenticate, authStatus, setup, login, loginTwoFactor, refresh, logout, logoutEverywhere, me,
  twoFactorEnable, twoFactorVerify, twoFactorDisable,
  apiKeyCreate, apiKeyList, apiKeyRevoke,
  userList, userGet, userCreate, userUpdate, userDelete,
];
