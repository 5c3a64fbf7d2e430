import { Client } from 'pg';
import {
  ConflictError, ForbiddenError, RateLimitedError, UnauthenticatedError, ValidationError, login, loginTwoFactor, me, setup, twoFactorDisable, twoFactorEnable, twoFactorVerify,
  type PendingTwoFactor, type TokenPair,
} from '@cadre/proto';
import { startHarness, type Harness } from './test-support/harness';

const ADMIN = { email: 'root@example.com', password: 'a long enough password' };
const STEP_MS = 30_000;

describe('two-factor authentication', () => {
  let h: Harness;
  let session: TokenPair;
  let secret: string;
  let recoveryCodes: string[];

  const passwordStep = async (): Promise<PendingTwoFactor> => {
    const reply = await h.send(login, ADMIN);
    expect(reply).toMatchObject({ requires_2fa: true, expires_in: 300 });
    return reply as PendingTwoFactor;
  };

  beforeAll(async () => {
    h = await startHarness();
    session = await h.send(setup, ADMIN);
  });
  afterAll(async () => h?.dispose());

  it('hands out a secret that stays pending until a code from it is verified', async () => {
    const enabled = await h.send(twoFactorEnable, {}, { as: session.access_token });
    secret = enabled.secret;
    expect(enabled.otpauth_uri).toMatch(/^otpauth:\/\/totp\/Cadre:root%40example\.com\?.*secret=/);
    // Still pending: a password alone signs in.
    await expect(h.send(login, ADMIN)).resolves.toMatchObject({ token_type: 'bearer' });
    await expect(h.send(twoFactorVerify, { code: '000000' }, { as: session.access_token })).rejects.toBeInstanceOf(ValidationError);
  });

  it('turns on with a code of the secret and returns recovery codes once', async () => {
    const verified = await h.send(twoFactorVerify, { code: h.totp(secret) }, { as: session.access_token });
    recoveryCodes = verified.recovery_codes;
    expect(verified.enabled).toBe(true);
    expect(new Set(recoveryCodes).size).toBe(10);
    // Sealed at rest: the secret is in no row of the identity schema in plain text.
    const client = new Client({ connectionString: h.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ secret: string }>('select secret from identity.totp_secrets union all select secret from identity.totp_pending');
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.secret).toMatch(/^v1:/);
        expect(row.secret).not.toContain(secret);
      }
    } finally {
      await client.end();
    }
    await expect(h.send(me, {}, { as: session.access_token })).resolves.toMatchObject({ two_factor_enabled: true });
    await expect(h.send(twoFactorEnable, {}, { as: session.access_token })).rejects.toBeInstanceOf(ConflictError);
  });

  it('asks for a code after the password, and signs in with it', async () => {
    h.clock.advance(STEP_MS); // the verify code's step is spent
    const pending = await passwordStep();
    const pair = await h.send(loginTwoFactor, { pending_token: pending.pending_token, code: h.totp(secret) });
    await expect(h.principalOf(pair.access_token)).resolves.toMatchObject({ user_id: session.user.id });
  });

  it('refuses a code already used within its window', async () => {
    const pending = await passwordStep();
    await expect(h.send(loginTwoFactor, { pending_token: pending.pending_token, code: h.totp(secret) })).rejects.toBeInstanceOf(UnauthenticatedError);
    h.clock.advance(STEP_MS);
    await expect(h.send(loginTwoFactor, { pending_token: pending.pending_token, code: h.totp(secret) })).resolves.toMatchObject({ token_type: 'bearer' });
  });

  it('checks no more codes against one pending token than the limit, however many arrive at once', async () => {
    h.clock.advance(STEP_MS);
    const pending = await passwordStep();
    const right = h.totp(secret);
    const codes = Array.from({ length: 100 }, (_, i) => (i === 77 ? right : String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0')));
    const answers = await Promise.all(codes.map((code, i) => h.send(loginTwoFactor, { pending_token: pending.pending_token, code }, { address: `192.0.2.${i + 1}` }).then(
      () => 'signed in', (error: unknown) => (error instanceof RateLimitedError ? 'throttled' : error instanceof UnauthenticatedError ? 'checked' : String(error)))));
    expect(answers.filter((a) => a !== 'throttled').length).toBeLessThanOrEqual(5);
  });

  it('refuses a pending token a second time', async () => {
    const pending = await passwordStep();
    h.clock.advance(STEP_MS);
    await h.send(loginTwoFactor, { pending_token: pending.pending_token, code: h.totp(secret) });
    h.clock.advance(STEP_MS);
    await expect(h.send(loginTwoFactor, { pending_token: pending.pending_token, code: h.totp(secret) })).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('refuses a pending token as an access token, and an expired pending token', async () => {
    const pending = await passwordStep();
    await expect(h.principalOf(pending.pending_token)).rejects.toBeInstanceOf(UnauthenticatedError);
    h.clock.advance(301_000);
    await expect(h.send(loginTwoFactor, { pending_token: pending.pending_token, code: h.totp(secret) })).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('accepts a recovery code once, in any case and with or without dashes', async () => {
    const code = recoveryCodes[0]!;
    const first = await passwordStep();
    await expect(h.send(loginTwoFactor, { pending_token: first.pending_token, recovery_code: code.toUpperCase().replace(/-/g, '') }))
      .resolves.toMatchObject({ token_type: 'bearer' });
    const second = await passwordStep();
    await expect(h.send(loginTwoFactor, { pending_token: second.pending_token, recovery_code: code })).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(h.send(loginTwoFactor, { pending_token: second.pending_token, recovery_code: recoveryCodes[1]! })).resolves.toMatchObject({ token_type: 'bearer' });
  });

  it('turns off only with a current code or the password', async () => {
    await expect(h.send(twoFactorDisable, { password: 'not my password' }, { as: session.access_token })).rejects.toBeInstanceOf(ValidationError);
    await expect(h.send(twoFactorDisable, { password: ADMIN.password }, { as: session.access_token })).resolves.toEqual({ enabled: false });
    await expect(h.send(login, ADMIN)).resolves.toMatchObject({ token_type: 'bearer' });
    await expect(h.send(twoFactorDisable, { password: ADMIN.password }, { as: session.access_token })).rejects.toBeInstanceOf(ConflictError);
  });

  it('turns off with a code, and the old recovery codes die with it', async () => {
    // The session signed in long ago (by the test clock): turning 2FA on needs the password.
    await expect(h.send(twoFactorEnable, {}, { as: session.access_token })).rejects.toBeInstanceOf(ForbiddenError);
    const { secret: again } = await h.send(twoFactorEnable, { password: ADMIN.password }, { as: session.access_token });
    h.clock.advance(STEP_MS);
    const { recovery_codes: codes } = await h.send(twoFactorVerify, { code: h.totp(again) }, { as: session.access_token });
    h.clock.advance(STEP_MS);
    await expect(h.send(twoFactorDisable, { code: h.totp(again) }, { as: session.access_token })).resolves.toEqual({ enabled: false });
    const elsewhere = (await h.send(login, ADMIN)) as TokenPair;
    const { secret: third } = await h.send(twoFactorEnable, { password: ADMIN.password }, { as: session.access_token });
    h.clock.advance(STEP_MS);
    await h.send(twoFactorVerify, { code: h.totp(third) }, { as: session.access_token });
    // Turning 2FA on ends the sessions a password alone opened; this one goes on.
    await expect(h.principalOf(elsewhere.access_token)).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(h.principalOf(session.access_token)).resolves.toMatchObject({ user_id: session.user.id });
    const pending = await passwordStep();
    await expect(h.send(loginTwoFactor, { pending_token: pending.pending_token, recovery_code: codes[0]! })).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});
