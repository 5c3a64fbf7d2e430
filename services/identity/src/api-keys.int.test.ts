import {
  ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError, apiKeyCreate, apiKeyList, apiKeyRevoke, me, setup, userCreate,
  login, type TokenPair,
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
    expect(created.expires_at).toBeNull();

    const principal = await h.principalOf(created.key);
    expect(principal).toEqual({ kind: 'api_key', user_id: member.user.id, role: 'member', credential_id: created.id });
    await expect(h.send(me, {}, { as: created.key })).resolves.toMatchObject({ id: member.user.id });

    const { api_keys } = await h.send(apiKeyList, {}, { as: member.access_token });
    expect(api_keys).toEqual([{ id: created.id, name: 'ci', prefix: created.prefix, created_at: created.created_at, expires_at: null, last_used_at: expect.any(String) }]);
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

  it('is refused when made up, and may not create keys itself', async () => {
    await expect(h.principalOf('cadre_abcdefgh_notarealkeynotarealkeynotarealkeynotarea')).rejects.toBeInstanceOf(UnauthenticatedError);
    const created = await h.send(apiKeyCreate, { name: 'ci' }, { as: member.access_token });
    await expect(h.send(apiKeyCreate, { name: 'child' }, { as: created.key })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.send(apiKeyCreate, { name: 'engine' }, { as: ENGINE_TOKEN })).rejects.toBeInstanceOf(ForbiddenError);
  });
});
