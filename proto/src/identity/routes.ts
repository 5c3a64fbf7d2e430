import { z } from 'zod';
import { apiKeyCreate, apiKeyList, apiKeyRevoke } from './api-keys';
import { authStatus, login, loginTwoFactor, logout, logoutEverywhere, me, refresh, setup } from './auth';
import { EntityId } from './schemas';
import { twoFactorDisable, twoFactorEnable, twoFactorVerify } from './two-factor';
import { userCreate, userDelete, userGet, userList, userUpdate } from './users';
import { defineRoute, type RouteDefinition } from '../http/route';

// Routes of the identity service (seed 002, "Auth" and "Users").
//
// How the gateway turns a request into the message payload:
//   payload = { ...params, ...query, ...body }
// built from the *parsed* parts (each validated by the route's own schema, so unknown fields
// are already stripped and a body cannot smuggle in a path parameter), then validated again by
// the message's request schema. That is why a path parameter is named like the request field
// it fills (`{id}` → `id`) and why no body repeats it.
// The gateway sends the caller's principal in the `cadre-principal` header, the request id in
// `cadre-request-id` and the client address in `cadre-client-address`; identity authorizes
// from the header and never from the payload. A route without `body` takes none.

const IdParam = z.object({ id: EntityId });

export const setupRoute = defineRoute({
  method: 'post', path: '/v1/auth/setup', operationId: 'setupAuth', summary: 'Create the first admin account (only while no user exists)',
  tags: ['auth'], access: 'public', body: setup.request, response: setup.reply, successStatus: 201, message: setup,
  // 403: the install asks for a setup token and none or a wrong one came.
  errors: [403],
});

export const loginRoute = defineRoute({
  method: 'post', path: '/v1/auth/login', operationId: 'login', summary: 'Sign in with e-mail and password',
  tags: ['auth'], access: 'public', body: login.request, response: login.reply, successStatus: 200, message: login,
  errors: [401],
});

export const loginTwoFactorRoute = defineRoute({
  method: 'post', path: '/v1/auth/login/2fa', operationId: 'loginTwoFactor', summary: 'Finish a 2FA login with a TOTP or recovery code',
  tags: ['auth'], access: 'public', body: loginTwoFactor.request, response: loginTwoFactor.reply, successStatus: 200, message: loginTwoFactor,
  errors: [401],
});

export const refreshRoute = defineRoute({
  method: 'post', path: '/v1/auth/refresh', operationId: 'refreshTokens', summary: 'Rotate the refresh token and get a new access token',
  tags: ['auth'], access: 'public', body: refresh.request, response: refresh.reply, successStatus: 200, message: refresh,
  errors: [401],
});

export const logoutRoute = defineRoute({
  method: 'post', path: '/v1/auth/logout', operationId: 'logout', summary: 'End the current session',
  tags: ['auth'], access: 'user', successStatus: 204, message: logout,
});

export const logoutEverywhereRoute = defineRoute({
  method: 'post', path: '/v1/auth/logout/everywhere', operationId: 'logoutEverywhere',
  summary: 'Sign out everywhere: end all your sessions and revoke all your API keys',
  tags: ['auth'], access: 'user', response: logoutEverywhere.reply, successStatus: 200, message: logoutEverywhere,
});

export const meRoute = defineRoute({
  method: 'get', path: '/v1/auth/me', operationId: 'getCurrentUser', summary: 'The user behind the credential',
  tags: ['auth'], access: 'user', response: me.reply, successStatus: 200, message: me,
});

export const twoFactorEnableRoute = defineRoute({
  method: 'post', path: '/v1/auth/2fa/enable', operationId: 'enableTwoFactor', summary: 'Start turning on 2FA (returns the TOTP secret once)',
  tags: ['auth'], access: 'user', body: twoFactorEnable.request, response: twoFactorEnable.reply, successStatus: 200, message: twoFactorEnable,
});

export const twoFactorVerifyRoute = defineRoute({
  method: 'post', path: '/v1/auth/2fa/verify', operationId: 'verifyTwoFactor', summary: 'Turn on 2FA with a code; returns recovery codes once',
  tags: ['auth'], access: 'user', body: twoFactorVerify.request, response: twoFactorVerify.reply, successStatus: 200, message: twoFactorVerify,
});

export const twoFactorDisableRoute = defineRoute({
  method: 'post', path: '/v1/auth/2fa/disable', operationId: 'disableTwoFactor', summary: 'Turn off 2FA with a current code or the password',
  tags: ['auth'], access: 'user', body: twoFactorDisable.request, response: twoFactorDisable.reply, successStatus: 200, message: twoFactorDisable,
});

export const apiKeyCreateRoute = defineRoute({
  method: 'post', path: '/v1/auth/api-keys', operationId: 'createApiKey', summary: 'Create an API key (shown once)',
  tags: ['auth'], access: 'user', body: apiKeyCreate.request, response: apiKeyCreate.reply, successStatus: 201, message: apiKeyCreate,
});

export const apiKeyListRoute = defineRoute({
  method: 'get', path: '/v1/auth/api-keys', operationId: 'listApiKeys', summary: 'List your API keys',
  tags: ['auth'], access: 'user', response: apiKeyList.reply, successStatus: 200, message: apiKeyList,
});

export const apiKeyRevokeRoute = defineRoute({
  method: 'delete', path: '/v1/auth/api-keys/{id}', operationId: 'revokeApiKey', summary: 'Revoke an API key',
  tags: ['auth'], access: 'user', params: IdParam, successStatus: 204, message: apiKeyRevoke,
});

export const userListRoute = defineRoute({
  method: 'get', path: '/v1/users', operationId: 'listUsers', summary: 'List users',
  tags: ['users'], access: 'admin', response: userList.reply, successStatus: 200, message: userList,
});

export const userCreateRoute = defineRoute({
  method: 'post', path: '/v1/users', operationId: 'createUser', summary: 'Create a user',
  tags: ['users'], access: 'admin', body: userCreate.request, response: userCreate.reply, successStatus: 201, message: userCreate,
});

export const userGetRoute = defineRoute({
  method: 'get', path: '/v1/users/{id}', operationId: 'getUser', summary: 'Get a user (admins: anyone; members: themselves)',
  tags: ['users'], access: 'user', params: IdParam, response: userGet.reply, successStatus: 200, message: userGet,
});

export const userUpdateRoute = defineRoute({
  method: 'put', path: '/v1/users/{id}', operationId: 'updateUser', summary: 'Update a user',
  tags: ['users'], access: 'admin', params: IdParam, body: userUpdate.request.omit({ id: true }),
  response: userUpdate.reply, successStatus: 200, message: userUpdate,
});

export const userDeleteRoute = defineRoute({
  method: 'delete', path: '/v1/users/{id}', operationId: 'deleteUser', summary: 'Delete a user (never the last admin)',
  tags: ['users'], access: 'admin', params: IdParam, successStatus: 204, message: userDelete,
});

/** Every identity route: public ones are exactly setup, login, login/2fa and refresh. */
/** Public: whether sign-in is on and whether the first admin is still to be created (the dashboard's sign-in page asks). */
export const authStatusRoute = defineRoute({
  method: 'get', path: '/v1/auth/status', operationId: 'getAuthStatus', summary: 'Whether authentication is on and whether setup is still needed',
  tags: ['auth'], access: 'public', response: authStatus.reply, successStatus: 200, message: authStatus,
});

export const identityRoutes: readonly RouteDefinition[] = [
  setupRoute, loginRoute, loginTwoFactorRoute, refreshRoute, logoutRoute, logoutEverywhereRoute, meRoute,
  twoFactorEnableRoute, twoFactorVerifyRoute, twoFactorDisableRoute,
  apiKeyCreateRoute, apiKeyListRoute, apiKeyRevokeRoute,
  userListRoute, userCreateRoute, userGetRoute, userUpdateRoute, userDeleteRoute,
  authStatusRoute,
];
