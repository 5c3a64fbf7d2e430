import { readConfig, resolveTarget, writeConfig, type CliConfig } from './config';

/** A failed call, with the gateway's error code when it sent one. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string, readonly details?: unknown) {
    super(message);
  }
}

export interface Client {
  readonly url: string;
  /** A JSON call; refreshes the session once on 401 when a refresh token is kept. */
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** The current bearer token (after any refresh). */
  token(): string | undefined;
  /** Refreshes the session (when it can); true when a new token was obtained. */
  refresh(): Promise<boolean>;
}

export async function createClient(env: NodeJS.ProcessEnv = process.env): Promise<Client> {
  let config: CliConfig = await readConfig(env);
  const target = resolveTarget(config, env);
  let token = target.token;
  const canRefresh = () => env.CADRE_TOKEN === undefined && config.api_key === undefined && config.refresh_token !== undefined;

  const refresh = async (): Promise<boolean> => {
    if (!canRefresh()) return false;
    const res = await fetch(`${target.url}/v1/auth/refresh`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: config.refresh_token }),
    });
    if (!res.ok) return false;
    const pair = (await res.json()) as { access_token: string; refresh_token: string };
    config = { ...config, access_token: pair.access_token, refresh_token: pair.refresh_token };
    await writeConfig(config, env);
    token = pair.access_token;
    return true;
  };

  const once = async (method: string, path: string, body: unknown): Promise<Response> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(`${target.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (error) {
      throw new ApiError(0, `cannot reach Cadre at ${target.url} (${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message})`, 'unreachable');
    }
  };

  return {
    url: target.url,
    token: () => token,
    refresh,
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      let res = await once(method, path, body);
      if (res.status === 401 && (await refresh())) res = await once(method, path, body);
      return (await readReply(res)) as T;
    },
  };
}

export async function readReply(res: Response): Promise<unknown> {
  const text = await res.text();
  let parsed: unknown = text;
  if (text.length > 0 && (res.headers.get('content-type') ?? '').includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (res.ok) return text.length === 0 ? null : parsed;
  const envelope = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { error?: string; code?: string; details?: unknown };
  const hint = res.status === 401 ? ' (run `cadre login`)' : '';
  throw new ApiError(res.status, `${envelope.error ?? (res.statusText || 'request failed')}${hint}`, envelope.code, envelope.details);
}
