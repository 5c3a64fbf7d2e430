/**
 * The one error hierarchy of Cadre. Every error that crosses a boundary (NATS reply, HTTP
 * response, job failure) is a CadreError with a stable `code`; the HTTP status and whether a
 * retry can help follow from its kind, one of the base codes below. A base code is its own
 * kind; a domain may name codes of its own (`defineErrorCode`) mapped onto a kind.
 *
 * `cancelled` is 409: the operation was stopped (by its caller, or because what it belonged
 * to was cancelled), which is a conflict with the state the request met. 499 is nginx's own,
 * unknown to HTTP clients. Not retryable: a retry would redo work someone chose to stop.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, retryable: false },
  bad_request: { status: 400, retryable: false },
  unauthenticated: { status: 401, retryable: false },
  forbidden: { status: 403, retryable: false },
  not_found: { status: 404, retryable: false },
  // `conflict` stays the first 409: a status-only reply of a foreign service maps to it.
  conflict: { status: 409, retryable: false },
  concurrency_conflict: { status: 409, retryable: true },
  cancelled: { status: 409, retryable: false },
  payload_too_large: { status: 413, retryable: false },
  unsupported_media_type: { status: 415, retryable: false },
  unprocessable: { status: 422, retryable: false },
  rate_limited: { status: 429, retryable: true },
  internal: { status: 500, retryable: false },
  unavailable: { status: 503, retryable: true },
  timeout: { status: 504, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

/** A base code; as the kind of a domain code, it gives that code its status and retryability. */
export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** A code a domain names itself (`step_not_running`), with the base code it behaves as. */
export interface DomainErrorCode<C extends string = string> {
  readonly code: C;
  readonly kind: ErrorCode;
}

const DOMAIN_CODE = /^[a-z][a-z0-9_]{0,63}$/;

function isDomainCode(value: unknown): value is string {
  return typeof value === 'string' && DOMAIN_CODE.test(value) && !isErrorCode(value);
}

/**
 * Names a code of a domain, e.g. `defineErrorCode('step_not_running', { kind: 'conflict' })`:
 * errors with it answer with the kind's status and retryability, and callers that do not know
 * the code still treat it as its kind. Throws on a malformed name or one of the base codes.
 */
export function defineErrorCode<C extends string>(code: C, spec: { readonly kind: ErrorCode }): DomainErrorCode<C> {
  if (!isDomainCode(code)) throw new Error(`invalid domain error code "${code}" (lower_snake_case, not a base code)`);
  if (!isErrorCode(spec.kind)) throw new Error(`error code "${code}" has an unknown kind "${String(spec.kind)}"`);
  return Object.freeze({ code, kind: spec.kind });
}

/**
 * The wire form of an error: what travels in a NATS error reply. `kind` is there when `code` is
 * a domain code, so that a receiver that does not know the code still gets status and
 * retryability right.
 */
export interface ErrorBody {
  readonly code: string;
  readonly kind?: ErrorCode;
  readonly message: string;
  readonly details?: unknown;
}

/** Options of every CadreError: `cause` is kept as the standard `Error.cause`. */
export interface CadreErrorOptions {
  readonly cause?: unknown;
}

/** Base class: a stable code, its kind (status and retryable flag), and optional details. */
export class CadreError extends Error {
  /** A base code, or a domain's own code (see `kind`). */
  readonly code: string;
  /** The base code this error behaves as: equal to `code` unless `code` is a domain code. */
  readonly kind: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode | DomainErrorCode, message: string, details?: unknown, options?: CadreErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = typeof code === 'string' ? code : code.code;
    this.kind = typeof code === 'string' ? code : code.kind;
    if (details !== undefined) this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.kind].status;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.kind].retryable;
  }

  toBody(): ErrorBody {
    const head = this.code === this.kind
      ? { code: this.code, message: this.message }
      : { code: this.code, kind: this.kind, message: this.message };
    return this.details === undefined ? head : { ...head, details: this.details };
  }

  /**
   * Rebuilds an error from a wire body: a base code gives its subclass; a domain code with a
   * known kind gives a DomainError of that kind; anything else becomes `internal`.
   */
  static fromBody(body: { code?: unknown; kind?: unknown; message?: unknown; details?: unknown }): CadreError {
    const message = typeof body.message === 'string' ? body.message : 'unknown error';
    if (isErrorCode(body.code)) return ofCode(body.code, message, body.details);
    if (!isErrorCode(body.kind)) return new CadreError('internal', message, body.details);
    // A code this side has never heard of still behaves as its kind; one that is no code at all is dropped.
    return isDomainCode(body.code)
      ? new DomainError({ code: body.code, kind: body.kind }, message, body.details)
      : ofCode(body.kind, message, body.details);
  }
}

/** An error with a domain's own code (from `defineErrorCode`), behaving as its kind. */
export class DomainError extends CadreError {
  constructor(code: DomainErrorCode, message: string, details?: unknown, options?: CadreErrorOptions) {
    super(code, message, details, options);
  }
}

/** Input failed its schema; `details` lists the issues (path and message). */
export class ValidationError extends CadreError {
  constructor(message: string, details?: unknown, options?: CadreErrorOptions) {
    super('validation_failed', message, details, options);
  }
}

export class NotFoundError extends CadreError {
  constructor(message: string, details?: unknown, options?: CadreErrorOptions) {
    super('not_found', message, details, options);
  }
}

export class ConflictError extends CadreError {
  constructor(message: string, details?: unknown, options?: CadreErrorOptions) {
    super('conflict', message, details, options);
  }
}

/** An append met a stream at another version than expected. Retry after re-reading. */
export class ConcurrencyError extends CadreError {
  constructor(message: string, details?: unknown, options?: CadreErrorOptions) {
    super('concurrency_conflict', message, details, options);
  }
}

/** The operation was stopped before it finished (its caller or its run cancelled it). Not retryable. */
export class CancelledError extends CadreError {
  constructor(message: string, details?: unknown, options?: CadreErrorOptions) {
    super('cancelled', message, details, options);
  }
}

/** Nobody could answer (no responders, bus down, dependency down). Retryable. */
export class UnavailableError extends CadreError {
  constructor(message: string, details?: unknown, options?: CadreErrorOptions) {
    super('unavailable', message, details, options);
  }
}

/** An answer did not come within its time. Retryable. */
export class TimeoutError extends CadreError {
  constructor(message: string, details?: unknown, options?: CadreErrorOptions) {
    super('timeout', message, details, options);
  }
}

export class UnauthenticatedError extends CadreError {
  constructor(message: string, details?: unknown, options?: CadreErrorOptions) {
    super('unauthenticated', message, details, options);
  }
}

export class ForbiddenError extends CadreError {
  constructor(message: string, details?: unknown, options?: CadreErrorOptions) {
    super('forbidden', message, details, options);
  }
}

export class RateLimitedError extends CadreError {
  constructor(message: string, details?: unknown, options?: CadreErrorOptions) {
    super('rate_limited', message, details, options);
  }
}

type ErrorClass = new (message: string, details?: unknown, options?: CadreErrorOptions) => CadreError;

const ERROR_CLASSES: Partial<Record<ErrorCode, ErrorClass>> = {
  validation_failed: ValidationError,
  not_found: NotFoundError,
  conflict: ConflictError,
  concurrency_conflict: ConcurrencyError,
  cancelled: CancelledError,
  unavailable: UnavailableError,
  timeout: TimeoutError,
  unauthenticated: UnauthenticatedError,
  forbidden: ForbiddenError,
  rate_limited: RateLimitedError,
};

function ofCode(code: ErrorCode, message: string, details: unknown): CadreError {
  const Class = ERROR_CLASSES[code];
  return Class ? new Class(message, details) : new CadreError(code, message, details);
}

/** Turns anything thrown into a CadreError, hiding internals of unexpected errors. */
export function toCadreError(error: unknown): CadreError {
  if (error instanceof CadreError) return error;
  return new CadreError('internal', 'internal error', undefined, { cause: error });
}

/** Formats zod-style issues as the `details` of a ValidationError. */
export function issuesToDetails(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): Array<{ path: string; message: string }> {
  return issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}
