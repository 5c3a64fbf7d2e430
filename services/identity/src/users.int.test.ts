import {
  ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError, apiKeyCreate, login, refresh, setup,
  userCreate, userDelete, userGet, userList, userUpdate, type TokenPair,
} from '@cadre/proto';
import { ENGINE_TOKEN, startHarness, type Harness } from './test-support/harness';

describe('users', () => {
  let h: Harness;
  let admin: TokenPair;

  const signIn = async (email: string, password: string) => (await h.send(login, { email, password })) as TokenPair;

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.send(setup, { email: 'admin@example.com', password: 'admin password', name: 'Admin' });
  });
  afterAll(async () => h?.dispose());

  it('lets an admin create, list, read and update users', async () => {
    const created = await h.send(userCreate, { email: 'Bob@Example.com', password: 'bob password', name: 'Bob' }, { as: admin.access_token });
    expect(created).toMatchObject({ email: 'bob@example.com', name: 'Bob', role: 'member', two_factor_enabled: false });
    const { users } = await h.send(userList, {}, { as: admin.access_token });
    expect(users.map((u) => u.email)).toEqual(['admin@example.com', 'bob@example.com']);
    await expect(h.send(userGet, { id: created.id }, { as: admin.access_token })).resolves.toEqual(created);
    const updated = await h.send(userUpdate, { id: created.id, name: 'Robert', role: 'admin' }, { as: admin.access_token });
    expect(updated).toMatchObject({ name: 'Robert', role: 'admin' });
    await h.send(userUpdate, { id: created.id, role: 'member' }, { as: admin.access_token });
  });

  it('refuses a second account with the same e-mail, whatever its case', async () => {
    await expect(h.send(userCreate, { email: 'BOB@example.com', password: 'another one' }, { as: admin.access_token })).rejects.toBeInstanceOf(ConflictError);
    await expect(h.send(userCreate, { email: 'not-an-email', password: 'another one' }, { as: admin.access_token })).rejects.toBeInstanceOf(ValidationError);
  });

  it('answers 403 to a member on admin routes, but lets them read their own record', async () => {
    const carol = await h.send(userCreate, { email: 'carol@example.com', password: 'carol password' }, { as: admin.access_token });
    const session = await signIn('carol@example.com', 'carol password');
    await expect(h.send(userList, {}, { as: session.access_token })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.send(userCreate, { email: 'x@example.com', password: 'x password' }, { as: session.access_token })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.send(userUpdate, { id: carol.id, role: 'admin' }, { as: session.access_token })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.send(userDelete, { id: admin.user.id }, { as: session.access_token })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.send(userGet, { id: admin.user.id }, { as: session.access_token })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.send(userGet, { id: carol.id }, { as: session.access_token })).resolves.toMatchObject({ email: 'carol@example.com' });
  });

  it('answers 401 without a principal', async () => {
    await expect(h.send(userList, {})).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('lets the engine credential act as an admin', async () => {
    await expect(h.send(userList, {}, { as: ENGINE_TOKEN })).resolves.toMatchObject({ users: expect.any(Array) });
  });

  it('never deletes or demotes the last admin', async () => {
    await expect(h.send(userDelete, { id: admin.user.id }, { as: admin.access_token })).rejects.toBeInstanceOf(ConflictError);
    await expect(h.send(userUpdate, { id: admin.user.id, role: 'member' }, { as: admin.access_token })).rejects.toBeInstanceOf(ConflictError);
    const second = await h.send(userCreate, { email: 'second-admin@example.com', password: 'second password', role: 'admin' }, { as: admin.access_token });
    await expect(h.send(userDelete, { id: second.id }, { as: admin.access_token })).resolves.toEqual({});
    await expect(h.send(userGet, { id: second.id }, { as: admin.access_token })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('makes a deleted user\'s sessions and api keys stop working', async () => {
    const dave = await h.send(userCreate, { email: 'dave@example.com', password: 'dave password' }, { as: admin.access_token });
    const session = await signIn('dave@example.com', 'dave password');
    const key = await h.send(apiKeyCreate, { name: 'dave' }, { as: session.access_token });
    await h.send(userDelete, { id: dave.id }, { as: admin.access_token });
    await expect(h.principalOf(session.access_token)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(h.principalOf(key.key)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(h.send(refresh, { refresh_token: session.refresh_token })).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(signIn('dave@example.com', 'dave password')).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('ends a user\'s sessions when an admin sets a new password', async () => {
    const erin = await h.send(userCreate, { email: 'erin@example.com', password: 'erin password' }, { as: admin.access_token });
    const session = await signIn('erin@example.com', 'erin password');
    await h.send(userUpdate, { id: erin.id, password: 'erin new password' }, { as: admin.access_token });
    await expect(h.principalOf(session.access_token)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(signIn('erin@example.com', 'erin password')).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(signIn('erin@example.com', 'erin new password')).resolves.toMatchObject({ user: { id: erin.id } });
  });

  it('uses the current role, so a demoted admin loses admin rights at once', async () => {
    const fay = await h.send(userCreate, { email: 'fay@example.com', password: 'fay password', role: 'admin' }, { as: admin.access_token });
    const session = await signIn('fay@example.com', 'fay password');
    await expect(h.principalOf(session.access_token)).resolves.toMatchObject({ role: 'admin' });
    await h.send(userUpdate, { id: fay.id, role: 'member' }, { as: admin.access_token });
    await expect(h.principalOf(session.access_token)).resolves.toMatchObject({ role: 'member' });
  });
});
