import { recordResponse } from './contract-responses';

/** A JSON call to the gateway: status, body (parsed when JSON) and headers. */
export interface Reply<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface CallOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export async function call<T = unknown>(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  const url = new URL(path, baseUrl);
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  const contentType = res.headers.get('content-type') ?? '';
  if (contentType.includes('json') && text.length > 0) parsed = JSON.parse(text);
  recordResponse({ method: method.toLowerCase(), path: url.pathname, query: url.search, status: res.status, contentType, body: parsed });
  return { status: res.status, body: parsed as T, headers: res.headers };
}
