import { useState, type FormEvent } from 'react';
import { api, session, type User } from '../api';
import { ErrorNote } from './ui';
import { useSession } from '../hooks';

type Step = { readonly kind: 'idle' } | { readonly kind: 'verify'; readonly secret: string; readonly uri: string } | { readonly kind: 'codes'; readonly codes: readonly string[] };

/** Turning two-factor sign-in (TOTP) on, with its recovery codes shown once, or off. */
export function TwoFactor() {
  const user = useSession().user;
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const [error, setError] = useState<Error>();
  const run = (work: (form: FormData) => Promise<void>) => async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(undefined);
    try {
      await work(new FormData(event.currentTarget));
      session.setUser(await api<User>('GET', '/v1/auth/me'));
    } catch (reason) {
      setError(reason as Error);
    }
  };
  const password = (form: FormData) => {
    const value = String(form.get('password') ?? '');
    return value ? { password: value } : {};
  };
  const enable = run(async (form) => {
    const reply = await api<{ secret: string; otpauth_uri: string }>('POST', '/v1/auth/2fa/enable', { body: password(form) });
    setStep({ kind: 'verify', secret: reply.secret, uri: reply.otpauth_uri });
  });
  const verify = run(async (form) => {
    const reply = await api<{ recovery_codes: string[] }>('POST', '/v1/auth/2fa/verify', { body: { code: String(form.get('code')).trim() } });
    setStep({ kind: 'codes', codes: reply.recovery_codes });
  });
  const disable = run(async (form) => {
    const code = String(form.get('code') ?? '').trim();
    await api('POST', '/v1/auth/2fa/disable', { body: code ? { code } : password(form) });
    setStep({ kind: 'idle' });
  });
  return (
    <section aria-labelledby="tfa-title">
      <h2 id="tfa-title">Two-factor sign-in</h2>
      <ErrorNote error={error} />
      {step.kind === 'codes' ? (
        <div className="notice" role="status">
          <p>Two-factor sign-in is on. Keep these recovery codes somewhere safe; each works once, and they are shown only now:</p>
          <ul data-testid="recovery-codes">{step.codes.map((c) => <li key={c}><code>{c}</code></li>)}</ul>
        </div>
      ) : null}
      {step.kind === 'verify' ? (
        <form onSubmit={verify} className="stack">
          <p>Add this key to your authenticator app (or open the link on your phone), then enter the code it shows.</p>
          <p>Key: <code data-testid="totp-secret">{step.secret}</code> · <a href={step.uri}>otpauth link</a></p>
          <label>Code<input name="code" required inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" /></label>
          <button type="submit">Turn on</button>
        </form>
      ) : null}
      {step.kind === 'idle' && !user?.two_factor_enabled ? (
        <form onSubmit={enable} className="inline-form">
          <p>Off. Turn it on to be asked for a code from an authenticator app at each sign-in.</p>
          <label>Your password<input name="password" type="password" autoComplete="current-password" /></label>
          <button type="submit">Set up two-factor sign-in</button>
        </form>
      ) : null}
      {step.kind === 'idle' && user?.two_factor_enabled ? (
        <form onSubmit={disable} className="inline-form">
          <p>On.</p>
          <label>Current code<input name="code" inputMode="numeric" autoComplete="one-time-code" /></label>
          <label>or your password<input name="password" type="password" autoComplete="current-password" /></label>
          <button type="submit" className="danger">Turn off</button>
        </form>
      ) : null}
    </section>
  );
}
