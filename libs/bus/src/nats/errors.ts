import { errors as natsErrors, type Msg } from '@nats-io/nats-core';
import { JetStreamApiError, JetStreamApiCodes, JetStreamError } from '@nats-io/jetstream';
import { CadreError, ERROR_CODES, NotFoundError, TimeoutError, UnavailableError, ValidationError, type ErrorCode } from '@cadre/proto';
import { ServiceErrorCodeHeader, ServiceErrorHeader } from '@nats-io/services';
import { decodeJson } from '../codec';

/** Turns an error of the NATS client into the CadreError a caller of the bus sees. */
export function mapNatsError(error: unknown, what: string): CadreError {
  if (error instanceof CadreError) return error;
  if (isTimeout(error)) return new TimeoutError(`${what} timed out`);
  if (isNoResponders(error)) return new UnavailableError(`${what}: no responders`);
  if (
    error instanceof natsErrors.ClosedConnectionError ||
    error instanceof natsErrors.DrainingConnectionError ||
    error instanceof natsErrors.ConnectionError ||
    error instanceof natsErrors.RequestError
  ) {
    return new UnavailableError(`${what}: bus unavailable`, { reason: error.message });
  }
  if (error instanceof natsErrors.InvalidSubjectError || error instanceof natsErrors.InvalidArgumentError) {
    return new ValidationError(`${what}: ${error.message}`);
  }
  if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.JetStreamNotEnabledForAccount) {
    return new UnavailableError(`${what}: JetStream is not enabled`);
  }
  if (error instanceof Error && error.name === 'JetStreamNotEnabled') {
    return new UnavailableError(`${what}: JetStream is not enabled`);
  }
  if (error instanceof JetStreamApiError) {
    // The server judged the request itself: a bad config is the caller's, a 503 is ours.
    if (error.status === 400) return new ValidationError(`${what}: ${error.message}`, { apiCode: error.code });
    if (error.status === 404) return new NotFoundError(`${what}: ${error.message}`, { apiCode: error.code });
    if (error.status === 503) return new UnavailableError(`${what}: ${error.message}`, { apiCode: error.code });
  }
  return new CadreError('internal', `${what} failed`, undefined, { cause: error });
}

function isTimeout(error: unknown): boolean {
  return error instanceof natsErrors.TimeoutError || (error instanceof Error && error.cause instanceof natsErrors.TimeoutError);
}

function isNoResponders(error: unknown): boolean {
  if (error instanceof natsErrors.NoRespondersError) return true;
  if (error instanceof natsErrors.RequestError && error.isNoResponders()) return true;
  // JetStream API calls and publishes report a missing stream/JetStream as a 503 status.
  return error instanceof JetStreamError && /no responders|503/i.test(error.message);
}

/** True when a JetStream API error says the consumer or stream does not exist. */
export function isNotFound(error: unknown): boolean {
  if (!(error instanceof JetStreamApiError)) return false;
  return error.code === JetStreamApiCodes.ConsumerNotFound || error.code === JetStreamApiCodes.StreamNotFound;
}

/** The CadreError an error reply of the services API carries, or undefined for a normal reply. */
export function errorFromReply(reply: Msg): CadreError | undefined {
  const statusText = reply.headers?.get(ServiceErrorCodeHeader);
  if (!statusText) return undefined;
  const description = reply.headers?.get(ServiceErrorHeader) ?? 'error';
  try {
    const body = decodeJson<{ code?: unknown; message?: unknown; details?: unknown } | undefined>(reply.data);
    if (body && typeof body === 'object' && typeof body.code === 'string') return CadreError.fromBody(body);
  } catch {
    // A foreign service (not Cadre) may send a non-JSON body; fall back to the headers.
  }
  return new CadreError(codeForStatus(Number(statusText)), description);
}

function codeForStatus(status: number): ErrorCode {
  const found = (Object.keys(ERROR_CODES) as ErrorCode[]).find((code) => ERROR_CODES[code].status === status);
  return found ?? 'internal';
}
