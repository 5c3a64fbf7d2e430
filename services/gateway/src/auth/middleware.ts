import type { RequestHandler } from 'express';
import { ForbiddenError, UnauthenticatedError, type Principal, type RouteDefinition } from '@cadre/proto';
import { state } from '../http/state';
import type { Authenticator } from './authenticator';
import { credentialOf } from './credentials';

/** The principal every request acts as when AUTH_ENABLED is false. */
export const ANONYMOUS_ADMIN: Principal = Object.freeze({ kind: 'service', role: 'admin', credential_id: 'anonymous' });

/**
 * Secure by default: a route needs a credential unless its contract says `public`; `admin`
 * routes refuse members. Runs before the body is read, so anonymous callers cost nothing.
 */
export function requireAccess(route: RouteDefinition, authenticator: Authenticator, enabled: boolean): RequestHandler {
  return async (req, res, next) => {
    const current = state(res);
    if (!enabled) {
      current.principal = ANONYMOUS_ADMIN;
      next();
      return;
    }
    if (route.access === 'public') {
      next();
      return;
    }
    const token = credentialOf(req, route);
    if (token === undefined) throw new UnauthenticatedError('Authentication required');
    if (token === '') throw new UnauthenticatedError('Invalid credential');
    const principal = await authenticator.authenticate(token, current.requestId);
    current.principal = principal;
    if (route.access === 'admin' && principal.role !== 'admin') throw new ForbiddenError('Admin role required');
    next();
  };
}
