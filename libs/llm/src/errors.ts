import { CadreError, redactSecrets, type ErrorCode } from '@cadre/proto';

/** What went wrong with a model call (an LlmError's `reason`); decides the CadreError code and so retryability. */
export type LlmErrorKind =
  | 'auth'
  | 'rate_limited'
  | 'unavailable'
  | 'timeout'
  | 'bad_request'
  | 'aborted'
  | 'protocol';

// A provider rejecting *our* key is not the caller's authentication failing: mapping it to
// `unauthenticated` would tell an HTTP client to log in again. `unprocessable` keeps it
// non-retryable without that confusion. An aborted call was cancelled by its caller (a run
// cancelled, a step out of time): `cancelled`, not retryable.
const CODE_OF_KIND: Readonly<Record<LlmErrorKind, ErrorCode>> = {
  auth: 'unprocessable',
  rate_limited: 'rate_limited',
  unavailable: 'unavailable',
  timeout: 'timeout',
  bad_request: 'unprocessable',
  aborted: 'cancelled',
  protocol: 'unavailable',
};

export interface LlmErrorInfo {
  readonly upstreamStatus?: number;
  readonly retryAfterMs?: number;
  readonly attempts?: number;
}

/**
 * A failed model call. `reason` says what went wrong (its CadreError `kind` follows from it);
 * it is also `details.kind`, with the provider and the upstream status.
 */
export class LlmError extends CadreError {
  readonly reason: LlmErrorKind;
  readonly provider: string;
  readonly upstreamStatus?: number;
  readonly retryAfterMs?: number;

  constructor(reason: LlmErrorKind, provider: string, message: string, info: LlmErrorInfo = {}, options?: { cause?: unknown }) {
    // Upstream text may echo a credential: anything shaped like one never leaves this error.
    super(CODE_OF_KIND[reason], redactSecrets(message), {
      provider,
      kind: reason,
      ...(info.upstreamStatus === undefined ? {} : { upstream_status: info.upstreamStatus }),
      ...(info.retryAfterMs === undefined ? {} : { retry_after_ms: info.retryAfterMs }),
      ...(info.attempts === undefined ? {} : { attempts: info.attempts }),
    }, options);
    this.reason = reason;
    this.provider = provider;
    if (info.upstreamStatus !== undefined) this.upstreamStatus = info.upstreamStatus;
    if (info.retryAfterMs !== undefined) this.retryAfterMs = info.retryAfterMs;
  }
}

/** True for the error a stream ends with when its caller aborted it. */
export function isAbortError(error: unknown): boolean {
  return error instanceof LlmError && error.reason === 'aborted';
}

/** The error of an aborted call. */
export function abortedError(provider: string, cause?: unknown): LlmError {
  return new LlmError('aborted', provider, `${provider} call aborted`, {}, { cause });
}

/** Pulls the human message out of an error body (`{error:{message}}`, `{message}`, or text). */
export function upstreamMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown; type?: unknown } | string; message?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
    if (parsed.error && typeof parsed.error.message === 'string') return parsed.error.message;
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: the text itself is the message.
  }
  const text = body.trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text || 'no details';
}

/**
 * Turns a non-2xx HTTP answer into an LlmError with a message naming the provider; `secrets`
 * (the request's credentials) are cut out of the upstream text wherever it echoes them.
 */
export function httpError(provider: string, status: number, body: string, info: LlmErrorInfo = {}, secrets: readonly string[] = []): LlmError {
  const detail = redactSecrets(upstreamMessage(body), secrets);
  const withStatus = { ...info, upstreamStatus: status };
  if (status === 401) return new LlmError('auth', provider, `${provider} rejected the API key (401): ${detail}`, withStatus);
  if (status === 403) return new LlmError('auth', provider, `${provider} denied access (403): ${detail}`, withStatus);
  if (status === 429) return new LlmError('rate_limited', provider, `${provider} rate limited the request (429): ${detail}`, withStatus);
  if (status === 408) return new LlmError('timeout', provider, `${provider} timed out (408): ${detail}`, withStatus);
  if (status >= 500) return new LlmError('unavailable', provider, `${provider} is unavailable (${status}): ${detail}`, withStatus);
  if (status === 404) return new LlmError('bad_request', provider, `${provider} has no such model or endpoint (404): ${detail}`, withStatus);
  return new LlmError('bad_request', provider, `${provider} rejected the request (${status}): ${detail}`, withStatus);
}

/** Whether an HTTP status is worth another attempt. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
