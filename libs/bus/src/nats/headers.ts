import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { ValidationError } from '@cadre/proto';
import type { Headers } from '../types';

/** The bus form of NATS headers: one value per name (the first when repeated). */
export function fromNatsHeaders(hdrs: Iterable<[string, string[]]> | undefined): Headers {
  if (!hdrs) return {};
  const out: Record<string, string> = {};
  for (const [key, values] of hdrs) {
    const first = values[0];
    if (first !== undefined) out[key] = first;
  }
  return out;
}

const HEADER_NAME = /^[!-9;-~]+$/;

/** NATS headers from a record; undefined when empty, so plain messages stay header-less. */
export function toNatsHeaders(record: Headers | undefined): MsgHdrs | undefined {
  if (!record) return undefined;
  const entries = Object.entries(record);
  if (entries.length === 0) return undefined;
  const hdrs = natsHeaders();
  for (const [key, value] of entries) {
    // Control characters would break the header block on the wire.
    if (!HEADER_NAME.test(key) || typeof value !== 'string' || /[\r\n]/.test(value)) {
      throw new ValidationError(`invalid header "${key}"`, { header: key });
    }
    hdrs.set(key, value);
  }
  return hdrs;
}
