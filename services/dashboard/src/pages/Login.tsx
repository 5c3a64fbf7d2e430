import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, session, type PendingTwoFactor, type TokenPair } from '../api';
import { ErrorNote } from '../components/ui';

type Mode = 'loading' | 'setup' | 'login' | 'two-factor';

/** Sign in: the first admin's setup on a fresh install, else e-mail and password, then a 2FA code when the account has one. */
export function LoginPage() {
  const [mode, setMode] = useState<Mode>('loading');
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const [needsSetupToken, setNeedsSetupToken] = useState(false);
  const [pending, setPending] = useState<string>();
  const [useRecovery, setUseRecovery] = useState(false);

  useEffect(() => {
    api<{ setup_required: boolean }>('GET', '/v1/auth/status')
      .then((status) => setMode(status.setup_required ? 'setup' : 'login'))
      .catch(() => setMode('login'));
  }, []);

  const submit = (work: (form: FormData) => Promise<void>) => async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await work(new FormData(event.currentTarget));
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setBusy(false);
    }
  };

  const setup = submit(async (form) => {
    const body: Record<string, string> = { email: String(form.get('email')), password: String(form.get('password')) };
    const name = String(form.get('name') ?? '').trim();
    if (name) body.name = name;
    const token = String(form.get('setup_token') ?? '').trim();
    if (token) body.setup_token = token;
    try {
      session.accept(await api<TokenPair>('POST', '/v1/auth/setup', { body }));
    } catch (reason) {
      if (reason instanceof ApiError && reason.status === 403) setNeedsSetupToken(true);
      if (reason instanceof ApiError && reason.status === 409) setMode('login');
      throw reason;
    }
  });

  const login = submit(async (form) => {
    const reply = await api<TokenPair | PendingTwoFactor>('POST', '/v1/auth/login', {
      body: { email: String(form.get('email')), password: String(form.get('password')) },
    });
    if ('requires_2fa' in reply) {
      setPending(reply.pending_token);
      setMode('two-factor');
    } else session.accept(reply);
  });

  const twoFactor = submit(async (form) => {
    const code = String(form.get('code') ?? '').trim();
    session.accept(await api<TokenPair>('POST', '/v1/auth/login/2fa', {
      body: { pending_token: pending, ...(useRecovery ? { recovery_code: code } : { code }) },
    }));
  });

  return (
    <main className="center" id="main">
      <div className="card login">
        <p className="brand">Cadre</p>
        {mode === 'loading' ? <p role="status">Loading…</p> : null}
        {mode === 'setup' ? (
          <form onSubmit={setup} aria-labelledby="setup-title">
            <h1 id="setup-title">Create the first admin</h1>
            <p>This install has no user yet. The account you create here is its administrator.</p>
            <label>Name<input name="name" autoComplete="name" /></label>
            <label>E-mail<input name="email" type="email" required autoComplete="email" /></label>
            <label>Password<input name="password" type="password" required minLength={12} autoComplete="new-password" aria-describedby="pw-hint" /></label>
            <small id="pw-hint">At least 12 characters.</small>
            {needsSetupToken ? <label>Setup token (printed by <code>npm start</code>)<input name="setup_token" required /></label> : null}
            <ErrorNote error={error} />
            <button type="submit" disabled={busy}>Create admin and sign in</button>
          </form>
        ) : null}
        {mode === 'login' ? (
          <form onSubmit={login} aria-labelledby="login-title">
            <h1 id="login-title">Sign in</h1>
            <label>E-mail<input name="email" type="email" required autoComplete="username" /></label>
            <label>Password<input name="password" type="password" required autoComplete="current-password" /></label>
            <ErrorNote error={error} />
            <button type="submit" disabled={busy}>Sign in</button>
          </form>
        ) : null}
        {mode === 'two-factor' ? (
          <form onSubmit={twoFactor} aria-labelledby="tfa-title">
            <h1 id="tfa-title">Two-factor code</h1>
            <label>{useRecovery ? 'Recovery code' : 'Code from your authenticator app'}
              <input name="code" required autoComplete="one-time-code" inputMode={useRecovery ? 'text' : 'numeric'} />
            </label>
            <button type="button" className="link" onClick={() => setUseRecovery(!useRecovery)}>
              {useRecovery ? 'Use an authenticator code' : 'Use a recovery code'}
            </button>
            <ErrorNote error={error} />
            <button type="submit" disabled={busy}>Verify</button>
          </form>
        ) : null}
      </div>
    </main>
  );
}
