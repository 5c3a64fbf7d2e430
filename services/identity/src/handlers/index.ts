import type { RequestHandler } from '@cadre/bus';
import type { IdentityContext } from '../context';
import { apiKeyHandlers } from './api-keys';
import { authHandlers } from './auth';
import { authenticateHandler } from './authenticate';
import { twoFactorHandlers } from './two-factor';
import { userHandlers } from './users';

/** Every endpoint of the identity service, by subject. */
export function identityEndpoints(ctx: IdentityContext): Readonly<Record<string, RequestHandler>> {
  return Object.fromEntries([
    authenticateHandler(ctx),
    ...authHandlers(ctx),
    ...twoFactorHandlers(ctx),
    ...apiKeyHandlers(ctx),
    ...userHandlers(ctx),
  ]);
}
