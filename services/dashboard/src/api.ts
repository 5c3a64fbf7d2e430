// The one way the dashboard talks to Cadre: the public /v1 API with a bearer token. The access
// token lives in memory; the refresh token in localStorage, so a reload (or a new tab) signs in
// again through POST /v1/auth/refresh without asking for the password.

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: 'admin' | 'member';
  readonly two_factor_enabled: boolean;
}

export interface TokenPair {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly expires_in: number;
  readonly user: User;
}

export interface PendingTwoFactor {
  readonly requires_2fa: true;
  readonly pending_token: string;
}

/** An error answer of the API: its status, message and field details. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly details?: unknown, readonly code?: string) {
    super(message);
  }
}

const REFRESH_KEY = 'cadre.refresh_token';

interface SessionState {
  readonly user: User | null;
  /** True until the first refresh attempt on load has answered. */
  readonly restoring: boolean;
}

let access: string | undefined;
let state: SessionState = { user: null, restoring: true };
const listeners = new Set<() => void>();
let refreshing: Promise<boolean> | undefined;

function publish(next: SessionState): void {
  state = next;
  for (const listener of listeners) listener();
}

export const session = {
  get: (): SessionState => state,
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  token: (): string | undefined => access,
  /** Keeps a new token pair (setup, login, 2FA, refresh). */
  accept(pair: TokenPair): void {
    access = pair.access_token;
    localStorage.setItem(REFRESH_KEY, pair.refresh_token);
    publish({ user: pair.user, restoring: false });
  },
  /** The signed-in user changed (2FA turned on or off). */
  setUser(user: User): void {
    publish({ user, restoring: false });
  },
  /** Forgets the session locally (the server side is ended by signOut). */
  clear(): void {
    access = undefined;
    localStorage.removeItem(REFRESH_KEY);
    publish({ user: null, restoring: false });
  },
};

async function parse(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function failure(response: Response, body: unknown): ApiError {
  const envelope = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; details?: unknown; code?: unknown };
  const message = typeof envelope.error === 'string' ? envelope.error : `${response.status} ${response.statusText}`;
  return new ApiError(response.status, message, envelope.details, typeof envelope.code === 'string' ? envelope.code : undefined);
}

/** Exchanges the stored refresh token for a new pair; false when there is none or it is no longer good. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const stored = localStorage.getItem(REFRESH_KEY);
    if (!stored) return false;
    try {
      const response = await fetch('/v1/auth/refresh', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: stored }),
      });
      if (!response.ok) {
        if (response.status === 401) session.clear();
        return false;
      }
      session.accept((await response.json()) as TokenPair);
      return true;
    } catch {
      return false;
    }
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

/** Restores the session of a reload from the stored refresh token. */
export async function restoreSession(): Promise<void> {
  const ok = await refreshSession();
  if (!ok && state.restoring) publish({ user: null, restoring: false });
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

/** Calls the API; a 401 refreshes the session once and tries again. Error answers throw an ApiError. */
export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const attempt = () => {
    const headers: Record<string, string> = {};
    if (access) headers.authorization = `Bearer ${access}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    return fetch(path, {
      method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  };
  let response = await attempt();
  if (response.status === 401 && access !== undefined && (await refreshSession())) response = await attempt();
  const body = await parse(response);
  if (!response.ok) {
    if (response.status === 401 && !path.startsWith('/v1/auth/')) session.clear();
    throw failure(response, body);
  }
  return body as T;
}

/** A query string from the defined values. */
export function query(params: Readonly<Record<string, string | number | boolean | undefined | null>>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** Ends the session on the server, then locally. */
export async function signOut(): Promise<void> {
  try {
    await api('POST', '/v1/auth/logout');
  } catch {
    // signed out locally anyway
  }
  session.clear();
}
