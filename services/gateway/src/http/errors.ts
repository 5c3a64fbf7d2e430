import type { Response } from 'express';
import { CadreError, type ErrorCode } from '@cadre/proto';

/** The one error body of the HTTP API. `code` is a base code or a service's own (its status is its kind's). */
export interface ErrorEnvelope {
  readonly error: string;
  readonly code: string;
  readonly details?: unknown;
}

export interface HttpError {
  readonly status: number;
  readonly body: ErrorEnvelope;
}

/** Errors of the body parser carry a `type`; these are the ones a caller can cause. */
const PARSER_ERRORS: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  'entity.too.large': { code: 'payload_too_large', message: 'Request body too large' },
  'entity.parse.failed': { code: 'bad_request', message: 'Malformed JSON body' },
  'encoding.unsupported': { code: 'unsupported_media_type', message: 'Unsupported content encoding' },
  'charset.unsupported': { code: 'unsupported_media_type', message: 'Unsupported charset' },
  'request.aborted': { code: 'bad_request', message: 'Request aborted' },
  'request.size.invalid': { code: 'bad_request', message: 'Request size did not match Content-Length' },
};

function parserError(error: unknown): CadreError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, status } = error as { type?: unknown; status?: unknown };
  if (typeof type === 'string' && PARSER_ERRORS[type]) {
    const known = PARSER_ERRORS[type];
    return new CadreError(known.code, known.message);
  }
  // Any other client error from Node or Express (a bad URI escape, …), without its text.
  if (typeof status === 'number' && status >= 400 && status < 500) return new CadreError('bad_request', 'Bad request');
  return undefined;
}

/**
 * Maps anything thrown to a status and the error envelope. Internal errors keep their text
 * for the log only; a service that does not answer in time is a 503, as the bus being down is.
 */
export function toHttpError(error: unknown): HttpError {
  const cadre = error instanceof CadreError ? error : parserError(error);
  const unexpected = !cadre || (cadre.status >= 500 && cadre.kind !== 'unavailable' && cadre.kind !== 'timeout');
  if (unexpected) {
    return { status: 500, body: { error: 'Internal error', code: 'internal' } };
  }
  // Unanswered requests name subjects and services in their text: callers get a fixed one.
  if (cadre.kind === 'unavailable') return { status: 503, body: { error: 'Service unavailable', code: cadre.code } };
  if (cadre.kind === 'timeout') return { status: 503, body: { error: 'Service did not answer in time', code: cadre.code } };
  const status = cadre.status;
  const body: ErrorEnvelope = cadre.details === undefined
    ? { error: cadre.message, code: cadre.code }
    : { error: cadre.message, code: cadre.code, details: cadre.details };
  return { status, body };
}

/** The wait an answer names in its details (`retry_after_seconds`), whole seconds, at least 1. */
function retryAfterSeconds(details: unknown): number {
  const named = typeof details === 'object' && details !== null ? (details as { retry_after_seconds?: unknown }).retry_after_seconds : undefined;
  return typeof named === 'number' && Number.isFinite(named) && named > 0 ? Math.ceil(named) : 1;
}

export function sendError(res: Response, error: unknown): HttpError {
  const mapped = toHttpError(error);
  if (res.headersSent) {
    // A stream already under way cannot change its status; ending it is all that is left.
    res.end();
    return mapped;
  }
  if (mapped.status === 503) res.setHeader('Retry-After', '1');
  const named = (mapped.body.details as { retry_after_seconds?: unknown } | undefined)?.retry_after_seconds;
  // A 429, or any answer that names its wait (a 409 of a request still being answered).
  if (mapped.status === 429 || typeof named === 'number') res.setHeader('Retry-After', String(retryAfterSeconds(mapped.body.details)));
  if (mapped.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(mapped.status).json(mapped.body);
  return mapped;
}
