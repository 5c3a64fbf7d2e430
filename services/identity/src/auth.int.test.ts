import {
  ConflictError, RateLimitedError, UnauthenticatedError, ValidationError, authStatus, login, logout, me, refresh, setup,
  type TokenPair,
} from '@cadre/proto';
import { eventually } from '@cadre/testing';
import { ENGINE_TOKEN, startHarness, type Harness } from './test-support/harness';

const ADMIN = { email: 'Admin@Example.com', password: 'correct horse battery', name: 'Ada' };

describe('identity auth', () => {
  let h: Harness;
  let admin: TokenPair;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.dispose());

  describe('setup', () => {
    it('reports that setup is needed while no user exists', async () => {
      await expect(h.send(authStatus, {})).resolves.toEqual({ auth_enabled: true, setup_required: true });
    });

    it('rejects a password shorter than 8 characters', async () => {
      await expect(h.send(setup, { email: 'a@example.com', password: 'short' })).rejects.toBeInstanceOf(ValidationError);
    });

    it('creates the first admin and signs it in', async () => {
      admin = await h.send(setup, ADMIN);
      expect(admin).toMatchObject({ token_type: 'bearer', expires_in: 900, user: { email: 'admin@example.com', name: 'Ada', role: 'admin', two_factor_enabled: false } });
      expect(Object.keys(admin.user).sort()).toEqual(['created_at', 'email', 'id', 'name', 'role', 'two_factor_enabled', 'updated_at']);
      await expect(h.principalOf(admin.access_token)).resolves.toMatchObject({ kind: 'user', user_id: admin.user.id, role: 'admin' });
    });

    it('answers 409 once a user exists', async () => {
      await expect(h.send(setup, { email: 'other@example.com', password: 'another password' })).rejects.toBeInstanceOf(ConflictError);
      await expect(h.send(authStatus, {})).resolves.toEqual({ auth_enabled: true, setup_required: false });
    });
  });

  describe('login', () => {
    it('returns a token pair for the right password, whatever the e-mail case', async () => {
      const pair = await h.send(login, { email: 'ADMIN@example.com', password: ADMIN.password });
      expect(pair).toMatchObject({ token_type: 'bearer', user: { id: admin.user.id } });
      await expect(h.send(me, {}, { as: (pair as TokenPair).access_token })).resolves.toMatchObject({ id: admin.user.id });
    });

    it('gives the same error for a wrong password and an unknown e-mail', async () => {
      const wrong = await h.send(login, { email: ADMIN.email, password: 'wrong password' }).catch((e: unknown) => e);
      const unknown = await h.send(login, { email: 'nobody@example.com', password: 'wrong password' }).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(UnauthenticatedError);
      expect(unknown).toBeInstanceOf(UnauthenticatedError);
      expect((wrong as Error).message).toBe((unknown as Error).message);
    });
  });

  describe('refresh', () => {
    it('rotates the refresh token on each use', async () => {
      const first = (await h.send(login, { email: ADMIN.email, password: ADMIN.password })) as TokenPair;
      const second = await h.send(refresh, { refresh_token: first.refresh_token });
      expect(second.refresh_token).not.toBe(first.refresh_token);
      const third = await h.send(refresh, { refresh_token: second.refresh_token });
      await expect(h.principalOf(third.access_token)).resolves.toMatchObject({ user_id: admin.user.id });
    });

    it('answers parallel refreshes of one token (two tabs) with the same new pair, and the session lives on', async () => {
      const first = (await h.send(login, { email: ADMIN.email, password: ADMIN.password })) as TokenPair;
      const pairs = await Promise.all(Array.from({ length: 8 }, () => h.send(refresh, { refresh_token: first.refresh_token })));
      expect(new Set(pairs.map((p) => p.refresh_token)).size).toBe(1);
      expect(pairs[0]!.refresh_token).not.toBe(first.refresh_token);
      for (const pair of pairs) await expect(h.principalOf(pair.access_token)).resolves.toMatchObject({ user_id: admin.user.id });
      await expect(h.send(refresh, { refresh_token: pairs[0]!.refresh_token })).resolves.toMatchObject({ token_type: 'bearer' });
    });

    it('revokes the whole session when a rotated refresh token is used again after the grace window', async () => {
      const first = (await h.send(login, { email: ADMIN.email, password: ADMIN.password })) as TokenPair;
      const second = await h.send(refresh, { refresh_token: first.refresh_token });
      h.clock.advance(31_000);
      await expect(h.send(refresh, { refresh_token: first.refresh_token })).rejects.toBeInstanceOf(UnauthenticatedError);
      await expect(h.principalOf(second.access_token)).rejects.toBeInstanceOf(UnauthenticatedError);
      await expect(h.send(refresh, { refresh_token: second.refresh_token })).rejects.toBeInstanceOf(UnauthenticatedError);
      await eventually(() => {
        const revoked = h.events.map((m) => m.json<{ type: string; data: { reason?: string } }>()).filter((e) => e.type === 'session_revoked');
        expect(revoked.some((e) => e.data.reason === 'refresh_token_reused')).toBe(true);
      });
    });

    it('refuses a token it never issued', async () => {
      await expect(h.send(refresh, { refresh_token: 'cadre_rt_made-up' })).rejects.toBeInstanceOf(UnauthenticatedError);
    });
  });

  describe('logout', () => {
    it('ends the session: its access and refresh tokens stop working', async () => {
      const pair = (await h.send(login, { email: ADMIN.email, password: ADMIN.password })) as TokenPair;
      await expect(h.send(logout, {}, { as: pair.access_token })).resolves.toEqual({});
      await expect(h.principalOf(pair.access_token)).rejects.toBeInstanceOf(UnauthenticatedError);
      await expect(h.send(refresh, { refresh_token: pair.refresh_token })).rejects.toBeInstanceOf(UnauthenticatedError);
    });
  });

  describe('access tokens', () => {
    it('are refused once expired', async () => {
      const pair = (await h.send(login, { email: ADMIN.email, password: ADMIN.password })) as TokenPair;
      await expect(h.principalOf(pair.access_token)).resolves.toMatchObject({ kind: 'user' });
      h.clock.advance(16 * 60 * 1000);
      await expect(h.principalOf(pair.access_token)).rejects.toBeInstanceOf(UnauthenticatedError);
      // The refresh token outlives it and yields a fresh one.
      const renewed = await h.send(refresh, { refresh_token: pair.refresh_token });
      await expect(h.principalOf(renewed.access_token)).resolves.toMatchObject({ kind: 'user' });
    });

    it('are refused when forged or malformed', async () => {
      const pair = (await h.send(login, { email: ADMIN.email, password: ADMIN.password })) as TokenPair;
      const [head, body] = pair.access_token.split('.');
      const forged = `${head}.${body}.${'A'.repeat(43)}`;
      await expect(h.principalOf(forged)).rejects.toBeInstanceOf(UnauthenticatedError);
      await expect(h.principalOf('not-a-token')).rejects.toBeInstanceOf(UnauthenticatedError);
      const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`;
      await expect(h.principalOf(none)).rejects.toBeInstanceOf(UnauthenticatedError);
    });
  });

  describe('the engine token', () => {
    it('stands for an admin service', async () => {
      await expect(h.principalOf(ENGINE_TOKEN)).resolves.toEqual({ kind: 'service', role: 'admin', credential_id: 'engine' });
      await expect(h.principalOf(`${ENGINE_TOKEN}x`)).rejects.toBeInstanceOf(UnauthenticatedError);
    });
  });

  describe('login throttling', () => {
    it('locks an account after repeated failures, with a retry-after', async () => {
      const account = { email: ADMIN.email, password: 'not the password' };
      for (let i = 0; i < 5; i++) await expect(h.send(login, account)).rejects.toBeInstanceOf(UnauthenticatedError);
      const locked = await h.send(login, { email: ADMIN.email, password: ADMIN.password }).catch((e: unknown) => e);
      expect(locked).toBeInstanceOf(RateLimitedError);
      expect((locked as RateLimitedError).details).toEqual({ retry_after_seconds: expect.any(Number) });
      h.clock.advance(16 * 60 * 1000);
      await expect(h.send(login, { email: ADMIN.email, password: ADMIN.password })).resolves.toMatchObject({ token_type: 'bearer' });
    });

    it('does not let an address with failures lock the owner out of the account from elsewhere', async () => {
      const attacker = '198.51.100.66';
      for (let i = 0; i < 5; i++) {
        await expect(h.send(login, { email: ADMIN.email, password: 'a wrong guess' }, { address: attacker })).rejects.toBeInstanceOf(UnauthenticatedError);
      }
      await expect(h.send(login, { email: ADMIN.email, password: ADMIN.password }, { address: attacker })).rejects.toBeInstanceOf(RateLimitedError);
      await expect(h.send(login, { email: ADMIN.email, password: ADMIN.password }, { address: '198.51.100.1' })).resolves.toMatchObject({ token_type: 'bearer' });
      h.clock.advance(16 * 60 * 1000);
    });

    it('checks no more guesses than the limit however many arrive at once', async () => {
      const address = '198.51.100.77';
      // An account of its own, so no earlier test's lock decides the outcome.
      const guesses = Array.from({ length: 60 }, (_, i) => `wrong guess ${i}`);
      const answers = await Promise.all(guesses.map((password) => h.send(login, { email: 'parallel@example.com', password }, { address }).then(
        () => 'signed in', (error: unknown) => (error instanceof RateLimitedError ? 'throttled' : error instanceof UnauthenticatedError ? 'checked' : String(error)))));
      const checked = answers.filter((a) => a !== 'throttled');
      expect(checked.length).toBeLessThanOrEqual(5);
      expect(answers.filter((a) => a === 'throttled')).toHaveLength(60 - checked.length);
      h.clock.advance(16 * 60 * 1000);
    });

    it('locks a client address that tries many accounts', async () => {
      const address = '203.0.113.7';
      for (let i = 0; i < 20; i++) {
        await expect(h.send(login, { email: `guess${i}@example.com`, password: 'whatever1' }, { address })).rejects.toBeInstanceOf(UnauthenticatedError);
      }
      await expect(h.send(login, { email: ADMIN.email, password: ADMIN.password }, { address })).rejects.toBeInstanceOf(RateLimitedError);
      await expect(h.send(login, { email: ADMIN.email, password: ADMIN.password }, { address: '203.0.113.8' })).resolves.toMatchObject({ token_type: 'bearer' });
    });
  });
});
