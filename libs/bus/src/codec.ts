import { ValidationError } from '@cadre/proto';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** JSON bytes of a value; `undefined` becomes an empty payload. Unserialisable values are a ValidationError. */
export function encodeJson(value: unknown): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new ValidationError('payload cannot be serialised as JSON', { reason: (error as Error).message });
  }
  // Functions and symbols stringify to undefined; they carry nothing across the wire.
  return text === undefined ? new Uint8Array(0) : encoder.encode(text);
}

/** The value of a JSON payload (`undefined` for an empty one). Bytes that are not JSON are a ValidationError. */
export function decodeJson<T = unknown>(data: Uint8Array): T {
  if (data.length === 0) return undefined as T;
  try {
    return JSON.parse(decoder.decode(data)) as T;
  } catch {
    throw new ValidationError('payload is not valid JSON');
  }
}

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
