import { ValidationError } from '@cadre/proto';
import { injectTraceContext } from '../trace';
import type { Headers } from '../types';

// Same rule the NATS transport applies, so a header that works embedded also works distributed.
const HEADER_NAME = /^[!-9;-~]+$/;

/** A frozen copy of the caller's headers with the active trace context added; bad names or values are a ValidationError. */
export function outgoingHeaders(headers: Headers | undefined): Headers {
  if (headers !== undefined && (typeof headers !== 'object' || headers === null)) {
    throw new ValidationError('headers must be an object of strings');
  }
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (!HEADER_NAME.test(key) || typeof value !== 'string' || /[\r\n]/.test(value)) {
      throw new ValidationError(`invalid header "${key}"`, { header: key });
    }
  }
  return Object.freeze(injectTraceContext(headers));
}

/** Headers read back from jsonb: only string values survive. */
export function storedHeaders(value: unknown): Headers {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) if (typeof v === 'string') out[key] = v;
  }
  return Object.freeze(out);
}
