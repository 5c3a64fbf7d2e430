import {
  ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError, apiKeyCreate, apiKeyList, apiKeyRevoke, me, setup, userCreate,
  login, logoutEverywhere, refresh, userUpdate, type TokenPair,
} from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { ENGINE_TOKEN, startHarness, type Harness } from './test-support/harness';

describe('api keys', () => {
  let h: Harness;
  let admin: TokenPair;
  let member: TokenPair;

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.send(setup, { email: 'admin@example.com', password: 'admin password' });
    await h.send(userCreate, { email: 'member@example.com', password: 'member password' }, { as: admin.access_token });
    member = (await h.send(login, { email: 'member@example.com', password: 'member password' })) as TokenPair;
  });
  afterAll(async () => h?.dispose());

  it('shows the key once, lists it by prefix without it, and authenticates with it', async () => {
    const created = await h.send(apiKeyCreate, { name: 'ci' }, { as: member.access_token });
    expect(created.key).toMatch(/^cadre_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(`${created.prefix}_`)).toBe(true);
    // No expiry asked: the default lifetime (90 days).
    expect(Date.parse(created.expires_at!) - h.clock.now().getTime()).toBe(90 * 86_400_000);

    const principal = await h.principalOf(created.key);
    expect(principal).toEqual({ kind: 'api_key', user_id: member.user.id, role: 'member', credential_id: created.id, expires_at: Math.floor(Date.parse(created.expires_at!) / 1000) });
    await expect(h.send(me, {}, { as: created.key })).resolves.toMatchObject({ id: member.user.id });

    const { api_keys } = await h.send(apiKeyList, {}, { as: member.access_token });
    expect(api_keys).toEqual([{ id: created.id, name: 'ci', prefix: created.prefix, created_at: created.created_at, expires_at: created.expires_at, last_used_at: expect.any(String) }]);
    expect(JSON.stringify(api_keys)).not.toContain(created.key);
    // Another user's list does not show it.
    await expect(h.send(apiKeyList, {}, { as: admin.access_token })).resolves.toEqual({ api_keys: [] });
  });

  it('stops working once revoked, and only its owner or an admin can revoke it', async () => {
    const created = await h.send(apiKeyCreate, { name: 'to revoke' }, { as: member.access_token });
    await expect(h.principalOf(created.key)).resolves.toMatchObject({ kind: 'api_key' });
    const other = await h.send(apiKeyCreate, { name: 'admin key' }, { as: admin.access_token });
    await expect(h.send(apiKeyRevoke, { id: other.id }, { as: member.access_token })).rejects.toBeInstanceOf(NotFoundError);

    await expect(h.send(apiKeyRevoke, { id: created.id }, { as: member.access_token })).resolves.toEqual({});
    await expect(h.principalOf(created.key)).rejects.toBeInstanceOf(UnauthenticatedError);
    const { api_keys } = await h.send(apiKeyList, {}, { as: member.access_token });
    expect(api_keys.map((k) => k.id)).not.toContain(created.id);
    await eventually(() => expect(h.events.some((m) => m.json<{ type: string; data: { key_id?: string } }>().type === 'api_key_revoked')).toBe(true));

    await expect(h.send(apiKeyRevoke, { id: other.id }, { as: admin.access_token })).resolves.toEqual({});
    await expect(h.send(apiKeyRevoke, { id: 'no-such-key' }, { as: admin.access_token })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('stops working when it expires', async () => {
    const inADay = await h.send(apiKeyCreate, { name: 'short', expires_in_days: 1 }, { as: member.access_token });
    const at = new Date(h.clock.now().getTime() + 3_600_000).toISOString();
    const inAnHour = await h.send(apiKeyCreate, { name: 'shorter', expires_at: at }, { as: member.access_token });
    expect(inAnHour.expires_at).toBe(at);
    await expect(h.principalOf(inAnHour.key)).resolves.toMatchObject({ expires_at: Math.floor(Date.parse(at) / 1000) });
    h.clock.advance(3_600_000);
    await expect(h.principalOf(inAnHour.key)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(h.principalOf(inADay.key)).resolves.toMatchObject({ kind: 'api_key' });
    h.clock.advance(23 * 3_600_000);
    await expect(h.principalOf(inADay.key)).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('refuses an expiry in the past, and both kinds of expiry at once', async () => {
    member = (await h.send(login, { email: 'member@example.com', password: 'member password' })) as TokenPair;
    const past = new Date(h.clock.now().getTime() - 1000).toISOString();
    await expect(h.send(apiKeyCreate, { name: 'x', expires_at: past }, { as: member.access_token })).rejects.toBeInstanceOf(ValidationError);
    const future = new Date(h.clock.now().getTime() + 86_400_000).toISOString();
    await expect(h.send(apiKeyCreate, { name: 'x', expires_at: future, expires_in_days: 2 }, { as: member.access_token })).rejects.toBeInstanceOf(ValidationError);
  });

  it('needs the password when the session did not sign in in the last few minutes', async () => {
    const session = (await h.send(login, { email: 'member@example.com', password: 'member password' })) as TokenPair;
    h.clock.advance(6 * 60_000); // the access token still works (15 minutes), the sign-in is no longer recent
    const refused = await h.send(apiKeyCreate, { name: 'stolen' }, { as: session.access_token }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect((refused as ForbiddenError).message).toMatch(/password/);
    await expect(h.send(apiKeyCreate, { name: 'stolen', password: 'a guess' }, { as: session.access_token })).rejects.toBeInstanceOf(ValidationError);
    const { api_keys } = await h.send(apiKeyList, {}, { as: session.access_token });
    expect(api_keys.map((k) => k.name)).not.toContain('stolen');
    await expect(h.send(apiKeyCreate, { name: 'mine', password: 'member password' }, { as: session.access_token })).resolves.toMatchObject({ name: 'mine' });
  });

  it('refuses a lifetime beyond the maximum', async () => {
    member = (await h.send(login, { email: 'member@example.com', password: 'member password' })) as TokenPair;
    await expect(h.send(apiKeyCreate, { name: 'forever', expires_in_days: 366 }, { as: member.access_token })).rejects.toBeInstanceOf(ValidationError);
    const far = new Date(h.clock.now().getTime() + 400 * 86_400_000).toISOString();
    await expect(h.send(apiKeyCreate, { name: 'forever', expires_at: far }, { as: member.access_token })).rejects.toBeInstanceOf(ValidationError);
    await expect(h.send(apiKeyCreate, { name: 'a year', expires_in_days: 365 }, { as: member.access_token })).resolves.toMatchObject({ name: 'a year' });
  });

  it('dies with a password reset and with signing out everywhere, and the answers say so', async () => {
    member = (await h.send(login, { email: 'member@example.com', password: 'member password' })) as TokenPair;
    admin = (await h.send(login, { email: 'admin@example.com', password: 'admin password' })) as TokenPair;
    const key = await h.send(apiKeyCreate, { name: 'before reset' }, { as: member.access_token });
    const reset = await h.send(userUpdate, { id: member.user.id, password: 'a new member password' }, { as: admin.access_token });
    expect(reset.api_keys_revoked).toBeGreaterThanOrEqual(1);
    expect(reset.sessions_revoked).toBeGreaterThanOrEqual(1);
    await expect(h.principalOf(key.key)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(h.principalOf(member.access_token)).rejects.toBeInstanceOf(UnauthenticatedError);

    member = (await h.send(login, { email: 'member@example.com', password: 'a new member password' })) as TokenPair;
    const other = (await h.send(login, { email: 'member@example.com', password: 'a new member password' })) as TokenPair;
    const second = await h.send(apiKeyCreate, { name: 'before sign-out' }, { as: member.access_token });
    await expect(h.send(logoutEverywhere, {}, { as: member.access_token })).resolves.toEqual({ sessions_revoked: 2, api_keys_revoked: 1 });
    for (const token of [second.key, member.access_token, other.access_token]) await expect(h.principalOf(token)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(h.send(refresh, { refresh_token: other.refresh_token })).rejects.toBeInstanceOf(UnauthenticatedError);
    member = (await h.send(login, { email: 'member@example.com', password: 'a new member password' })) as TokenPair;
  });

  it('is refused when made up, and may not create keys itself', async () => {
    await expect(h.principalOf('cadre_abcdefgh_notarealkeynotarealkeynotarealkeynotarea')).rejects.toBeInstanceOf(UnauthenticatedError);
    const created = await h.send(apiKeyCreate, { name: 'ci' }, { as: member.access_token });
    await expect(h.send(apiKeyCreate, { name: 'child' }, { as: created.key })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.send(apiKeyCreate, { name: 'engine' }, { as: ENGINE_TOKEN })).rejects.toBeInstanceOf(ForbiddenError);
  });
});
