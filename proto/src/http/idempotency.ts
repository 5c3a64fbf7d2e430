/**
 * Header through which the gateway passes a request's `Idempotency-Key` to the service that
 * answers it (a service that honours it does the request once per key and caller).
 */
export const IDEMPOTENCY_KEY_HEADER = 'cadre-idempotency-key';

/** What an `Idempotency-Key` may be: 1 to 255 visible ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
