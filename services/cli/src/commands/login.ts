import { createInterface } from 'node:readline/promises';
import { readConfig, resolveTarget, writeConfig, configPath } from '../config';
import { readReply } from '../client';
import type { Output } from '../output';

export interface LoginOptions {
  readonly url?: string;
  readonly email?: string;
  readonly password?: string;
  /** An API key to keep instead of signing in. */
  readonly apiKey?: string;
  /** TOTP code, for an account with 2FA. */
  readonly code?: string;
}

interface Tokens {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly user: { readonly email: string; readonly role: string };
}

/**
 * `cadre login`: signs in with e-mail and password (asked for when not given; CADRE_PASSWORD
 * works too), finishing 2FA with `--code`, and keeps the URL and tokens in the config file.
 * `--api-key` keeps a key instead (checked with /v1/auth/me first).
 */
export async function login(options: LoginOptions, output: Output, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = await readConfig(env);
  const url = (options.url ?? resolveTarget(config, env).url).replace(/\/+$/, '');
  if (options.apiKey !== undefined) {
    const res = await fetch(`${url}/v1/auth/me`, { headers: { authorization: `Bearer ${options.apiKey}` } });
    const me = (await readReply(res)) as { email: string; role: string };
    await writeConfig({ url, api_key: options.apiKey, email: me.email }, env);
    output.result({ url, email: me.email, role: me.role, config: configPath(env) }, () => `Signed in to ${url} as ${me.email} (${me.role}) with an API key`);
    return;
  }
  const email = options.email ?? config.email ?? (await ask('E-mail: '));
  const password = options.password ?? env.CADRE_PASSWORD ?? (await ask('Password: ', true));
  const post = async (path: string, body: unknown) =>
    readReply(await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
  let reply = (await post('/v1/auth/login', { email, password })) as Tokens | { requires_2fa: true; pending_token: string };
  if ('requires_2fa' in reply) {
    const code = options.code ?? (await ask('2FA code: '));
    reply = (await post('/v1/auth/login/2fa', { pending_token: reply.pending_token, code })) as Tokens;
  }
  const tokens = reply as Tokens;
  await writeConfig({ url, access_token: tokens.access_token, refresh_token: tokens.refresh_token, email: tokens.user.email }, env);
  output.result(
    { url, email: tokens.user.email, role: tokens.user.role, config: configPath(env) },
    () => `Signed in to ${url} as ${tokens.user.email} (${tokens.user.role})`,
  );
}

/** Asks on the terminal (hidden for secrets); reads a line from stdin when it is not a terminal. */
async function ask(prompt: string, secret = false): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY === true });
  if (secret && process.stdin.isTTY) {
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      write.call(rl, s.startsWith(prompt) ? prompt : '');
    };
  }
  try {
    const answer = (await rl.question(prompt)).trim();
    if (secret && process.stdin.isTTY) process.stderr.write('\n');
    if (answer === '') throw new Error(`${prompt.replace(/:\s*$/, '')} is required`);
    return answer;
  } finally {
    rl.close();
  }
}
