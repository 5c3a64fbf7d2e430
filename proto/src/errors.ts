/**
 * The one error hierarchy of Cadre. Every error that crosses a boundary (NATS reply, HTTP
 * response, job failure) is a CadreError with a stable `code`; the HTTP status and whether a
 * retry can help follow from the code.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, retryable: false },
  bad_request: { status: 400, retryable: false },
  unauthenticated: { status: 401, retryable: false },
  forbidden: { status: 403, retryable: false },
  not_found: { status: 404, retryable: false },
  conflict: { status: 409, retryable: false },
  concurrency_conflict: { status: 409, retryable: true },
  payload_too_large: { status: 413, retryable: false },
  unsupported_media_type: { status: 415, retryable: false },
  unprocessable: { status: 422, retryable: false },
  rate_limited: { status: 429, retryable: true },
  internal: { status: 500, retryable: false },
  unavailable: { status: 503, retryable: true },
  timeout: { status: 504, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** The wire form of an error: what travels in a NATS error reply and in the HTTP envelope. */
export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: unknown;
}

/** Base class: a stable code, an HTTP status, a retryable flag and optional details. */
export class CadreError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    if (details !== undefined) this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  /** Rebuilds the right subclass from a wire body (unknown codes become `internal`). */
  static fromBody(body: { code?: unknown; message?: unknown; details?: unknown }): CadreError {
    const code: ErrorCode = isErrorCode(body.code) ? body.code : 'internal';
    const message = typeof body.message === 'string' ? body.message : 'unknown error';
    const Class = ERROR_CLASSES[code];
    return Class ? new Class(message, body.details) : new CadreError(code, message, body.details);
  }
}

/** Input failed its schema; `details` lists the issues (path and message). */
export class ValidationError extends CadreError {
  constructor(message: string, details?: unknown) {
    super('validation_failed', message, details);
  }
}

export class NotFoundError extends CadreError {
  constructor(message: string, details?: unknown) {
    super('not_found', message, details);
  }
}

export class ConflictError extends CadreError {
  constructor(message: string, details?: unknown) {
    super('conflict', message, details);
  }
}

/** An append met a stream at another version than expected. Retry after re-reading. */
export class ConcurrencyError extends CadreError {
  constructor(message: string, details?: unknown) {
    super('concurrency_conflict', message, details);
  }
}

/** Nobody could answer (no responders, bus down, dependency down). Retryable. */
export class UnavailableError extends CadreError {
  constructor(message: string, details?: unknown) {
    super('unavailable', message, details);
  }
}

/** An answer did not come within its time. Retryable. */
export class TimeoutError extends CadreError {
  constructor(message: string, details?: unknown) {
    super('timeout', message, details);
  }
}

export class UnauthenticatedError extends CadreError {
  constructor(message: string, details?: unknown) {
    super('unauthenticated', message, details);
  }
}

export class ForbiddenError extends CadreError {
  constructor(message: string, details?: unknown) {
    super('forbidden', message, details);
  }
}

export class RateLimitedError extends CadreError {
  constructor(message: string, details?: unknown) {
    super('rate_limited', message, details);
  }
}

type ErrorClass = new (message: string, details?: unknown) => CadreError;

const ERROR_CLASSES: Partial<Record<ErrorCode, ErrorClass>> = {
  validation_failed: ValidationError,
  not_found: NotFoundError,
  conflict: ConflictError,
  concurrency_conflict: ConcurrencyError,
  unavailable: UnavailableError,
  timeout: TimeoutError,
  unauthenticated: UnauthenticatedError,
  forbidden: ForbiddenError,
  rate_limited: RateLimitedError,
};

/** Turns anything thrown into a CadreError, hiding internals of unexpected errors. */
export function toCadreError(error: unknown): CadreError {
  if (error instanceof CadreError) return error;
  return new CadreError('internal', 'internal error', undefined, { cause: error });
}

/** Formats zod-style issues as the `details` of a ValidationError. */
export function issuesToDetails(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): Array<{ path: string; message: string }> {
  return issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}
