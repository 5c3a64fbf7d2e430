import type { TokenPair, UserView } from '@cadre/proto';
import { call } from './http';

export const ADMIN = { email: 'admin@example.com', password: 'correct horse battery staple', name: 'Admin' } as const;

/** Creates the first admin through `POST /v1/auth/setup`; its tokens. */
export async function setupAdmin(baseUrl: string): Promise<TokenPair> {
  const reply = await call<TokenPair>(baseUrl, 'POST', '/v1/auth/setup', { body: ADMIN });
  if (reply.status !== 201) throw new Error(`setup: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export async function login(baseUrl: string, email: string, password: string): Promise<TokenPair> {
  const reply = await call<TokenPair>(baseUrl, 'POST', '/v1/auth/login', { body: { email, password } });
  if (reply.status !== 200 || !('access_token' in (reply.body as object))) throw new Error(`login: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** Creates a member (as the admin) and signs them in. */
export async function createMember(baseUrl: string, adminToken: string, email = 'member@example.com'): Promise<{ user: UserView; tokens: TokenPair }> {
  const password = 'member password 123';
  const created = await call<UserView>(baseUrl, 'POST', '/v1/users', { token: adminToken, body: { email, password, role: 'member' } });
  if (created.status !== 201) throw new Error(`create member: ${created.status} ${JSON.stringify(created.body)}`);
  return { user: created.body, tokens: await login(baseUrl, email, password) };
}

/** Creates an API key for the caller; the key itself and its id. */
export async function createApiKey(baseUrl: string, token: string, name = 'test key'): Promise<{ id: string; key: string }> {
  const reply = await call<{ id: string; key: string }>(baseUrl, 'POST', '/v1/auth/api-keys', { token, body: { name } });
  if (reply.status !== 201) throw new Error(`create api key: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}
