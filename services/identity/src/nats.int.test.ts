import { createHash } from 'node:crypto';
import {
  UnauthenticatedError, apiKeyCreate, apiKeyRevoke, login, loginTwoFactor, logout, me, refresh, setup, twoFactorEnable, twoFactorVerify,
  userCreate, userDelete, type PendingTwoFactor, type TokenPair,
} from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { startHarness, type Harness } from './test-support/harness';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Until every replica has the revocation in its view; a replica that lags answers for a few ms. */
async function refusedEverywhere(h: Harness, token: string): Promise<void> {
  await eventually(async () => {
    for (let i = 0; i < 10; i++) await expect(h.principalOf(token)).rejects.toBeInstanceOf(UnauthenticatedError);
  });
}

describe('identity on NATS with two replicas', () => {
  let h: Harness;
  const secrets: string[] = [];
  const keep = <T extends string>(value: T): T => {
    secrets.push(value);
    return value;
  };

  beforeAll(async () => {
    h = await startHarness({ transport: 'nats' });
    await h.addReplica();
  });
  afterAll(async () => h?.dispose());

  it('runs the whole credential life cycle', async () => {
    const admin = await h.send(setup, { email: 'admin@example.com', password: keep('admin password 1') });
    keep(admin.access_token);
    keep(admin.refresh_token);
    const member = await h.send(userCreate, { email: 'member@example.com', password: keep('member password 1') }, { as: admin.access_token });

    const session = (await h.send(login, { email: 'member@example.com', password: 'member password 1' })) as TokenPair;
    keep(session.access_token);
    await expect(h.send(me, {}, { as: session.access_token })).resolves.toMatchObject({ id: member.id, role: 'member' });

    const rotated = await h.send(refresh, { refresh_token: keep(session.refresh_token) });
    keep(rotated.refresh_token);
    h.clock.advance(31_000); // past the grace window of parallel refreshes
    await expect(h.send(refresh, { refresh_token: session.refresh_token })).rejects.toBeInstanceOf(UnauthenticatedError);
    await refusedEverywhere(h, keep(rotated.access_token));

    const fresh = (await h.send(login, { email: 'member@example.com', password: 'member password 1' })) as TokenPair;
    keep(fresh.refresh_token);
    const { secret } = await h.send(twoFactorEnable, {}, { as: keep(fresh.access_token) });
    keep(secret);
    const { recovery_codes } = await h.send(twoFactorVerify, { code: h.totp(secret) }, { as: fresh.access_token });
    recovery_codes.forEach(keep);
    h.clock.advance(30_000);
    const pending = (await h.send(login, { email: 'member@example.com', password: 'member password 1' })) as PendingTwoFactor;
    expect(pending.requires_2fa).toBe(true);
    const second = await h.send(loginTwoFactor, { pending_token: keep(pending.pending_token), code: h.totp(secret) });
    keep(second.refresh_token);

    const key = await h.send(apiKeyCreate, { name: 'ci' }, { as: keep(second.access_token) });
    keep(key.key);
    await expect(h.principalOf(key.key)).resolves.toMatchObject({ kind: 'api_key', user_id: member.id });
    await h.send(apiKeyRevoke, { id: key.id }, { as: second.access_token });
    await refusedEverywhere(h, key.key);

    await h.send(logout, {}, { as: second.access_token });
    await refusedEverywhere(h, second.access_token);

    await h.send(userDelete, { id: member.id }, { as: admin.access_token });
    await refusedEverywhere(h, fresh.access_token);
  });

  it('publishes the events scoped by user id, and never a secret in them', async () => {
    const expected = ['user_created', 'setup_completed', 'session_started', 'session_refreshed', 'session_revoked', 'two_factor_enabled',
      'api_key_created', 'api_key_revoked', 'user_deleted'];
    await eventually(() => {
      const types = new Set(h.events.map((m) => m.json<{ type: string }>().type));
      for (const type of expected) expect(types).toContain(type);
    });
    const forbidden = [...secrets, ...secrets.map(sha256), '$argon2'];
    for (const message of h.events) {
      const text = new TextDecoder().decode(message.data);
      for (const secret of forbidden) expect(text.includes(secret) ? `${message.subject} holds a secret` : 'clean').toBe('clean');
      const event = JSON.parse(text) as { type: string; data: { user_id: string } };
      expect(message.subject).toBe(`evt.identity.${event.type}.${event.data.user_id}`);
    }
  });
});
